//! Least privilege: a token may do only what its scopes allow and only
//! until it expires; the followed feeds and the metrics need a token; and
//! what the archive writes to disk is its owner's alone, whatever the umask.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::helpers::{Reply, TestApp, binary, get_with, run, scoped_token, stdout, write};

fn story() -> serde_json::Value {
    json!({
        "headline": "Harbour bridge to close",
        "source": "Harbour Gazette",
        "paragraphs": ["The bridge closes in June."]
    })
}

fn feed() -> serde_json::Value {
    json!({"url": "https://example.org/feed.xml"})
}

/// A 403 problem that names the scope the token lacks.
fn assert_lacks(reply: &Reply, scope: &str) {
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(reply.content_type(), "application/problem+json");
    let problem = reply.json();
    assert_eq!(problem["type"], "urn:newsarchive:problem:missing-scope");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("lacks the `{scope}` scope")),
        "{detail}"
    );
    assert!(detail.contains(&format!("--scope {scope}")), "{detail}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn a_read_only_token_cannot_write_and_is_told_which_scope_it_lacks() {
    let app = TestApp::with_seed().await;
    let read = scoped_token(&app, "reader", "read", None).await;
    let created = app
        .request(write("POST", "/api/v1/articles", Some(&read), story()))
        .await;
    assert_lacks(&created, "articles");
    for (method, uri) in [
        ("PUT", "/api/v1/articles/1"),
        ("PATCH", "/api/v1/articles/1"),
    ] {
        let reply = app.request(write(method, uri, Some(&read), story())).await;
        assert_lacks(&reply, "articles");
    }
    let deleted = app
        .request(write(
            "DELETE",
            "/api/v1/articles/1",
            Some(&read),
            json!({}),
        ))
        .await;
    assert_lacks(&deleted, "articles");
    let followed = app
        .request(write("POST", "/api/v1/feeds", Some(&read), feed()))
        .await;
    assert_lacks(&followed, "feeds");
    // Nothing was written; the one thing it may do, it can.
    assert_eq!(
        app.get("/api/v1/articles").await.json()["articles"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let feeds = app.request(get_with("/api/v1/feeds", &read)).await;
    assert_eq!(feeds.status, StatusCode::OK, "{}", feeds.body);
    assert_eq!(feeds.json(), json!([]));
    let metrics = app.request(get_with("/metrics", &read)).await;
    assert_lacks(&metrics, "metrics");
}

#[tokio::test]
async fn an_articles_token_writes_articles_but_cannot_follow_feeds() {
    let app = TestApp::new().await;
    let articles = scoped_token(&app, "cms", "articles", None).await;
    let created = app
        .request(write("POST", "/api/v1/articles", Some(&articles), story()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let followed = app
        .request(write("POST", "/api/v1/feeds", Some(&articles), feed()))
        .await;
    assert_lacks(&followed, "feeds");
    assert!(app.archive.store().feeds().await.unwrap().is_empty());
    let listed = app.request(get_with("/api/v1/feeds", &articles)).await;
    assert_eq!(listed.status, StatusCode::FORBIDDEN, "{}", listed.body);
    assert!(
        listed.body.contains("lacks the `read` or `feeds` scope"),
        "{}",
        listed.body
    );

    // A feeds token follows, lists and unfollows, and writes no article.
    let feeds = scoped_token(&app, "desk", "feeds", None).await;
    let followed = app
        .request(write("POST", "/api/v1/feeds", Some(&feeds), feed()))
        .await;
    assert_eq!(followed.status, StatusCode::CREATED, "{}", followed.body);
    let id = followed.json()["id"].as_i64().unwrap();
    let one = app
        .request(get_with(&format!("/api/v1/feeds/{id}"), &feeds))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let unfollowed_by_articles = app
        .request(write(
            "DELETE",
            &format!("/api/v1/feeds/{id}"),
            Some(&articles),
            json!({}),
        ))
        .await;
    assert_lacks(&unfollowed_by_articles, "feeds");
    let unfollowed = app
        .request(write(
            "DELETE",
            &format!("/api/v1/feeds/{id}"),
            Some(&feeds),
            json!({}),
        ))
        .await;
    assert_eq!(
        unfollowed.status,
        StatusCode::NO_CONTENT,
        "{}",
        unfollowed.body
    );
    let imported = app
        .request(write("POST", "/api/v1/articles", Some(&feeds), story()))
        .await;
    assert_lacks(&imported, "articles");
}

#[tokio::test]
async fn an_expired_token_gets_401_saying_when_it_expired() {
    let app = TestApp::new().await;
    let expired_at = Utc::now() - Duration::hours(1);
    let expired = scoped_token(&app, "old", "admin", Some(expired_at)).await;
    let reply = app
        .request(write("POST", "/api/v1/articles", Some(&expired), story()))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(reply.content_type(), "application/problem+json");
    let problem = reply.json();
    assert_eq!(problem["type"], "urn:newsarchive:problem:token-expired");
    let when = newsarchive::article::format_date(&expired_at);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("expired at {when}")),
        "{problem}"
    );
    assert!(reply.headers.contains_key("www-authenticate"));
    let metrics = app.request(get_with("/metrics", &expired)).await;
    assert_eq!(metrics.status, StatusCode::UNAUTHORIZED);

    // One that expires later works until then.
    let current = scoped_token(
        &app,
        "new",
        "articles",
        Some(Utc::now() + Duration::days(1)),
    )
    .await;
    let reply = app
        .request(write("POST", "/api/v1/articles", Some(&current), story()))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[tokio::test]
async fn a_token_made_before_scopes_existed_is_an_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let database = newsarchive::archive::database_path(&data);
    // The archive as the version before scopes left it: migrations 1 to 4.
    let mut old = sqlx::migrate!("./migrations/sqlite");
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version <= 4)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let pool = SqlitePoolOptions::new()
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&database)
                .create_if_missing(true),
        )
        .await
        .unwrap();
    old.run(&pool).await.unwrap();
    let token = newsarchive::auth::new_token();
    sqlx::query(
        "INSERT INTO api_tokens (name, prefix, secret_hash, created_at) VALUES ('legacy', ?, ?, '2025-01-01T00:00:00Z')",
    )
    .bind(&token.prefix)
    .bind(&token.hash)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let app = TestApp::open_embedded(&data).await;
    let created = app
        .request(write(
            "POST",
            "/api/v1/articles",
            Some(&token.secret),
            story(),
        ))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let followed = app
        .request(write("POST", "/api/v1/feeds", Some(&token.secret), feed()))
        .await;
    assert_eq!(followed.status, StatusCode::CREATED, "{}", followed.body);
    for uri in ["/metrics", "/api/v1/feeds"] {
        let reply = app.request(get_with(uri, &token.secret)).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
    }
    let tokens = app.archive.store().tokens().await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].scopes.to_string(), "admin");
    assert_eq!(tokens[0].expires_at, None);
    app.archive.close().await.unwrap();
    let listed = stdout(&crate::helpers::run_embedded(&data, &["token", "list"]));
    assert!(listed.contains("scopes admin\t"), "{listed}");
    assert!(listed.contains("never expires\tactive"), "{listed}");
}

#[tokio::test]
async fn the_followed_feeds_and_the_metrics_need_a_token() {
    let app = TestApp::new().await;
    let admin = scoped_token(&app, "admin", "admin", None).await;
    let followed = app
        .request(write("POST", "/api/v1/feeds", Some(&admin), feed()))
        .await;
    let id = followed.json()["id"].as_i64().unwrap();
    for uri in ["/metrics", "/api/v1/feeds", &format!("/api/v1/feeds/{id}")] {
        let reply = app.get(uri).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{uri}: {}",
            reply.body
        );
        assert_eq!(reply.content_type(), "application/problem+json", "{uri}");
        assert!(!reply.body.contains("example.org"), "{uri}: {}", reply.body);
    }
    let scraper = scoped_token(&app, "prometheus", "metrics", None).await;
    let metrics = app.request(get_with("/metrics", &scraper)).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.body.contains("newsarchive_articles"));
    let listed = app.request(get_with("/api/v1/feeds", &scraper)).await;
    assert_eq!(listed.status, StatusCode::FORBIDDEN);
    assert!(
        listed
            .body
            .contains("lacks the `read` or `feeds` scope; its scopes are: metrics"),
        "{}",
        listed.body
    );
    // Reads of articles stay public.
    assert_eq!(app.get("/api/v1/articles").await.status, StatusCode::OK);

    // The document says which scope each operation needs.
    let doc = app.get("/api/openapi.json").await.json();
    let security = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
    assert_eq!(
        security("/api/v1/feeds", "post"),
        json!([{"token": ["feeds"]}])
    );
    assert_eq!(
        security("/api/v1/feeds", "get"),
        json!([{"token": ["read"]}, {"token": ["feeds"]}])
    );
    assert_eq!(
        security("/api/v1/articles", "post"),
        json!([{"token": ["articles"]}])
    );
    assert_eq!(
        security("/api/v1/import", "post"),
        json!([{"token": ["articles"]}])
    );
    assert_eq!(security("/metrics", "get"), json!([{"token": ["metrics"]}]));
    assert_eq!(security("/api/v1/articles", "get"), serde_json::Value::Null);
    let page = app.get("/api").await.body;
    assert!(
        page.contains(
            "with the <code>read</code> or <code>feeds</code> or <code>admin</code> scope"
        ),
        "the API page names the scopes"
    );
}

#[tokio::test]
async fn token_create_takes_scopes_and_an_expiry_and_names_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let out = run(
        data,
        &["token", "create", "--name", "x", "--scope", "bogus"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`bogus` is not a scope"), "{err}");
    for scope in ["read", "articles", "feeds", "metrics", "admin"] {
        assert!(err.contains(scope), "{err} lists {scope}");
    }
    let out = run(data, &["token", "create", "--name", "x", "--expires", "5x"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`5x` is neither a duration"), "{err}");
    let out = run(
        data,
        &["token", "create", "--name", "x", "--expires", "2001-01-01"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not in the future"), "{err}");

    let out = run(
        data,
        &[
            "token",
            "create",
            "--name",
            "desk",
            "--scope",
            "articles",
            "--scope",
            "feeds",
            "--expires",
            "90d",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(data, &["token", "create", "--name", "plain"]);
    assert!(out.status.success());
    let out = run(
        data,
        &[
            "token",
            "create",
            "--name",
            "dated",
            "--expires",
            "2999-12-31",
        ],
    );
    assert!(out.status.success());
    let listed = stdout(&run(data, &["token", "list"]));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    let expected = (Utc::now() + Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    assert!(
        lines[0].contains("\tdesk\tscopes articles,feeds\t"),
        "{listed}"
    );
    assert!(
        lines[0].contains(&format!("expires {expected}T")),
        "{listed}"
    );
    assert!(lines[0].ends_with("\tactive"), "{listed}");
    // Without --scope: articles, as --help says.
    assert!(lines[1].contains("\tplain\tscopes articles\t"), "{listed}");
    assert!(lines[1].contains("never expires"), "{listed}");
    assert!(
        lines[2].contains("expires 2999-12-31T00:00:00Z\tactive"),
        "{listed}"
    );
    let help = stdout(&run(data, &["token", "create", "--help"]));
    assert!(
        help.contains("Without `--scope` a token gets `articles`"),
        "{help}"
    );

    // An expired token says so in the list.
    let app = TestApp::open(data).await;
    scoped_token(&app, "lapsed", "read", Some(Utc::now() - Duration::days(1))).await;
    app.archive.close().await.unwrap();
    let listed = stdout(&run(data, &["token", "list"]));
    let lapsed = listed.lines().find(|l| l.contains("\tlapsed\t")).unwrap();
    assert!(lapsed.contains("\texpired "), "{listed}");
}

/// Runs the binary as `run` does, under umask 000: whatever it makes
/// private, it makes so by itself.
fn run_without_umask(data: &Path, args: &[&str]) -> std::process::Output {
    let program = binary().get_program().to_owned();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000 && exec \"$@\"")
        .arg("sh")
        .arg(program)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("NEWSARCHIVE_DATA")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run newsarchive");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn the_data_directory_backups_and_exports_are_the_owners_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("news/data");
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    run_without_umask(&data, &["import", samples]);
    assert_eq!(mode(&data), 0o700, "the data directory");
    let database = newsarchive::archive::database_path(&data);
    assert_eq!(mode(&database), 0o600, "the database");

    let backup = dir.path().join("backup.sqlite3");
    run_without_umask(&data, &["backup", backup.to_str().unwrap()]);
    assert_eq!(mode(&backup), 0o600, "the backup");
    let export = dir.path().join("all.ndjson");
    run_without_umask(&data, &["export", "--output", export.to_str().unwrap()]);
    assert_eq!(mode(&export), 0o600, "the export");
    assert!(std::fs::metadata(&export).unwrap().len() > 0);
    let restored = dir.path().join("restored");
    run_without_umask(&restored, &["restore", backup.to_str().unwrap()]);
    assert_eq!(mode(&restored), 0o700, "the restored data directory");
    assert_eq!(
        mode(&newsarchive::archive::database_path(&restored)),
        0o600,
        "the restored database"
    );
    let token = run_without_umask(
        &dir.path().join("tokens"),
        &["token", "create", "--name", "x"],
    );
    assert!(!stdout(&token).is_empty());
    assert_eq!(mode(&dir.path().join("tokens")), 0o700);

    // While the archive is open, SQLite's log and shared memory are private too.
    let app = TestApp::open_embedded(&data).await;
    let token = scoped_token(&app, "w", "articles", None).await;
    let created = app
        .request(write("POST", "/api/v1/articles", Some(&token), story()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    for file in newsarchive::store::database_files(&database) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    app.archive.close().await.unwrap();
}
