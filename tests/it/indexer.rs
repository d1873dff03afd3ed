//! One indexer owns the index: pages carry the version they were rendered
//! from, rebuilds happen beside the live generation and never shrink what a
//! running server finds, and leftovers of a killed commit or another schema
//! version never stop it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use newsarchive::archive::Archive;

use crate::helpers::{TestApp, article, generated, run, stdout};

fn search_request() -> newsarchive::search::Request {
    newsarchive::search::Request {
        limit: 1,
        ..Default::default()
    }
}

async fn app_with(count: usize) -> TestApp {
    let app = TestApp::new().await;
    let batch: Vec<_> = (0..count).map(|n| article(generated(n, 1))).collect();
    for chunk in batch.chunks(1_000) {
        app.archive
            .save(chunk, &crate::helpers::TESTS)
            .await
            .unwrap();
    }
    app.indexed().await;
    app
}

fn live_dir(data: &Path) -> PathBuf {
    let root = data.join("index");
    let generation = std::fs::read_to_string(root.join("CURRENT")).unwrap();
    root.join(generation.trim())
}

fn generations(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("index"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    names.sort();
    names
}

/// Searches `archive` over and over until stopped, recording the fewest
/// results any search saw; the returned task yields that minimum.
fn keep_searching(archive: Archive, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<(u64, u64)> {
    tokio::spawn(async move {
        let (mut fewest, mut searches) = (u64::MAX, 0);
        while !stop.load(Ordering::Relaxed) {
            let page = archive
                .search("harbours ferries", &search_request())
                .await
                .expect("a search while another process rebuilds");
            fewest = fewest.min(page.total);
            searches += 1;
            tokio::task::yield_now().await;
        }
        (fewest, searches)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_rendered_while_the_indexer_is_behind_never_carries_the_later_etag() {
    let app = app_with(3).await;
    let hold = app.archive.hold_indexer().await;
    // Written by another process (an import, say) while the server's
    // indexer is held.
    let other = newsarchive::store::Store::open(&crate::helpers::location(app.data()).database)
        .await
        .unwrap();
    other
        .save_articles(&[article(generated(50, 1))], &crate::helpers::TESTS)
        .await
        .unwrap();
    other.close().await;

    // The index has not applied the write: the page shows the older state
    // and must say so in its ETag.
    let stale = app.get("/search?q=harbours").await;
    assert_eq!(stale.status, 200);
    assert!(!stale.body.contains("story number 50"), "{}", stale.body);
    let stale_tag = stale.headers[header::ETAG].to_str().unwrap().to_owned();

    drop(hold);
    app.indexed().await;
    let fresh = app.get("/search?q=harbours").await;
    assert!(fresh.body.contains("story number 50"), "{}", fresh.body);
    let fresh_tag = fresh.headers[header::ETAG].to_str().unwrap().to_owned();
    assert_ne!(stale_tag, fresh_tag);

    // Revalidating the stale page after the archive went quiet gets the new one.
    let again = app
        .request(
            Request::get("/search?q=harbours")
                .header(header::IF_NONE_MATCH, &stale_tag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("story number 50"));
    // And the fresh one is confirmed.
    let confirmed = app
        .request(
            Request::get("/search?q=harbours")
                .header(header::IF_NONE_MATCH, &fresh_tag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(confirmed.status, 304);

    // A write of this process that the index has yet to apply: pages get
    // a version of their own, which the applied state never shares.
    let hold = app.archive.hold_indexer().await;
    app.archive
        .save(&[article(generated(51, 1))], &crate::helpers::TESTS)
        .await
        .unwrap();
    let pending = app.get("/search?q=harbours").await;
    assert_eq!(pending.status, 200);
    assert!(!pending.body.contains("story number 51"));
    let pending_tag = pending.headers[header::ETAG].to_str().unwrap().to_owned();
    assert_ne!(pending_tag, fresh_tag);
    drop(hold);
    app.indexed().await;
    let applied = app
        .request(
            Request::get("/search?q=harbours")
                .header(header::IF_NONE_MATCH, &pending_tag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(applied.status, 200);
    assert!(applied.body.contains("story number 51"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heal_in_a_cli_process_never_shrinks_what_a_running_server_finds() {
    let app = app_with(1_500).await;
    // The command line finds no index to use and heals; the server's own
    // generation is fine and stays in use until the heal is complete.
    std::fs::remove_file(app.data().join("index/CURRENT")).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let searcher = keep_searching(app.archive.clone(), stop.clone());
    let data = app.data().to_owned();
    let out = tokio::task::spawn_blocking(move || run(&data, &["search", "harbours"]))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("1500 result(s)"), "{}", stdout(&out));

    // The server moves to the healed generation and keeps indexing there.
    let healed = std::fs::read_to_string(app.data().join("index/CURRENT")).unwrap();
    app.archive
        .save(&[article(generated(9_000, 1))], &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    stop.store(true, Ordering::Relaxed);
    let (fewest, searches) = searcher.await.unwrap();
    assert!(searches > 0);
    assert!(fewest >= 1_500, "a search found only {fewest}");
    let published = app.archive.published();
    assert_eq!(
        published.index.as_ref().unwrap().generation(),
        healed.trim()
    );
    app.assert_consistent().await;
}

/// True when process `pid` waits for an OS lock on the file `path` (Linux
/// lists waiting lock requests in /proc/locks with `->`).
fn waits_for_lock(pid: u32, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let inode = std::fs::metadata(path).unwrap().ino().to_string();
    std::fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .filter(|line| line.contains("->"))
        .any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.iter().any(|f| *f == pid.to_string())
                && fields
                    .iter()
                    .any(|f| f.rsplit(':').next() == Some(inode.as_str()))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rebuilds_at_once_take_turns_and_end_with_a_complete_live_generation() {
    let app = app_with(800).await;
    let stop = Arc::new(AtomicBool::new(false));
    let searcher = keep_searching(app.archive.clone(), stop.clone());
    let spawn = |data: &Path| {
        crate::helpers::binary_for(data)
            .arg("reindex")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // A rebuild is under way (this test holds its lock): both wait their turn.
    let lock_path = app.data().join("index/REBUILD.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    lock.lock().unwrap();
    let mut children = Vec::new();
    for _ in 0..2 {
        let mut child = spawn(app.data());
        while !waits_for_lock(child.id(), &lock_path) {
            assert!(
                child.try_wait().unwrap().is_none(),
                "a reindex ran while another rebuild held the lock"
            );
            tokio::task::yield_now().await;
        }
        children.push(child);
    }
    let before = generations(app.data());
    drop(lock);
    let outs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for out in outs {
        let out = out.unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            stdout(&out),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout(&out).contains("800 articles"), "{}", stdout(&out));
    }
    stop.store(true, Ordering::Relaxed);
    let (fewest, _) = searcher.await.unwrap();
    assert!(fewest >= 800, "a search found only {fewest}");

    assert!(live_dir(app.data()).join("meta.json").is_file());
    assert_ne!(generations(app.data()), before);
    app.archive
        .save(&[article(generated(9_000, 1))], &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    app.assert_consistent().await;
    let check = run(app.data(), &["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
}

/// Makes a copy of the live generation whose commit says `version`, and
/// points `CURRENT` at it, as another build's `reindex` would.
fn swap_in_a_generation_of_version(data: &Path, version: u32) -> String {
    let live = live_dir(data);
    let name = format!("gen-99999999T000000.000000-{version}-0");
    let copy = data.join("index").join(&name);
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(&live).unwrap() {
        let entry = entry.unwrap();
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.ends_with(".lock") {
            continue;
        }
        std::fs::copy(entry.path(), copy.join(&file)).unwrap();
    }
    let meta = copy.join("meta.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    let mut payload: serde_json::Value =
        serde_json::from_str(json["payload"].as_str().unwrap()).unwrap();
    payload["schema_version"] = serde_json::json!(version);
    json["payload"] = serde_json::Value::String(payload.to_string());
    std::fs::write(&meta, json.to_string()).unwrap();
    std::fs::write(data.join("index/CURRENT"), &name).unwrap();
    name
}

async fn finds(app: &TestApp, query: &str) -> u64 {
    app.archive
        .search(query, &search_request())
        .await
        .unwrap()
        .total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_meeting_a_newer_schema_version_keeps_indexing_in_its_own_generation() {
    let app = app_with(30).await;
    let newer = swap_in_a_generation_of_version(app.data(), 99);
    app.archive
        .save(&[article(generated(9_000, 1))], &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    assert_eq!(finds(&app, "\"story number 9000\"").await, 1);
    assert_eq!(finds(&app, "harbours").await, 31);
    assert_eq!(app.get("/readyz").await.status, 200);
    // The newer build's generation stays live for the newer build.
    let current = std::fs::read_to_string(app.data().join("index/CURRENT")).unwrap();
    assert_eq!(current.trim(), newer);
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_meeting_an_older_schema_version_rebuilds_and_swaps_it_out() {
    let app = app_with(30).await;
    let older = swap_in_a_generation_of_version(app.data(), 1);
    app.archive
        .save(&[article(generated(9_000, 1))], &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    assert_eq!(finds(&app, "\"story number 9000\"").await, 1);
    assert_eq!(finds(&app, "harbours").await, 31);
    let current = std::fs::read_to_string(app.data().join("index/CURRENT")).unwrap();
    assert_ne!(current.trim(), older);
    app.assert_consistent().await;
    let check = run(app.data(), &["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
}

/// Leaves what a commit killed after writing its delete files would leave:
/// `<segment>.<opstamp>.del` for the next opstamps, listed as managed.
fn leave_delete_files_of_a_killed_commit(dir: &Path) -> usize {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    let opstamp = meta["opstamp"].as_u64().unwrap();
    let managed_path = dir.join(".managed.json");
    let mut managed: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(&managed_path).unwrap()).unwrap();
    let mut left = 0;
    for segment in meta["segments"].as_array().unwrap() {
        let id = segment["segment_id"].as_str().unwrap().replace('-', "");
        for stamp in opstamp..opstamp + 300 {
            let name = format!("{id}.{stamp}.del");
            std::fs::write(dir.join(&name), b"half-written").unwrap();
            // Half are listed as managed (tantivy lists a file before
            // writing it), half not (a list rewritten by another process).
            if stamp % 2 == 0 {
                managed.push(name);
            }
            left += 1;
        }
    }
    std::fs::write(&managed_path, serde_json::to_string(&managed).unwrap()).unwrap();
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_a_killed_commit_left_behind_never_stop_the_next_writer() {
    let data = tempfile::tempdir().unwrap();
    let archive = crate::helpers::open_archive(data.path()).await;
    let batch: Vec<_> = (0..40).map(|n| article(generated(n, 1))).collect();
    archive.save(&batch, &crate::helpers::TESTS).await.unwrap();
    assert!(archive.wait_indexed(Duration::from_secs(60)).await.unwrap());
    archive.close().await.unwrap();
    assert!(leave_delete_files_of_a_killed_commit(&live_dir(data.path())) > 0);

    // Every article updated: the commit deletes the old documents, writing
    // a delete file whose name a killed commit already took.
    let archive = crate::helpers::open_archive(data.path()).await;
    let updates: Vec<_> = (0..40).map(|n| article(generated(n, 2))).collect();
    archive
        .save(&updates, &crate::helpers::TESTS)
        .await
        .unwrap();
    assert!(
        archive.wait_indexed(Duration::from_secs(60)).await.unwrap(),
        "the indexer is stuck: {:?}",
        archive.index_error()
    );
    let report = archive.check(Duration::from_secs(60)).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    archive.close().await.unwrap();
}

#[test]
fn opening_a_missing_generation_is_an_error_and_creates_nothing() {
    let data = tempfile::tempdir().unwrap();
    let root = newsarchive::search::IndexRoot::new(data.path().join("index"));
    let opened = newsarchive::search::SearchIndex::open(&root, "gen-never-made");
    assert!(opened.is_err());
    assert!(!root.generation_dir("gen-never-made").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_that_need_only_the_database_leave_the_index_alone() {
    let app = app_with(5).await;
    std::fs::remove_file(app.data().join("index/CURRENT")).unwrap();
    let before = generations(app.data());
    for args in [
        &["token", "list"][..],
        &["token", "create", "--name", "desk"],
        &["feeds"],
        &["export", "--output", "/dev/null"],
    ] {
        let out = run(app.data(), args);
        assert!(out.status.success(), "{args:?}: {}", stdout(&out));
    }
    // Exporting to a device writes into it rather than renaming a file over it.
    use std::os::unix::fs::FileTypeExt as _;
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    let backup = app.data().join("copy.sqlite3");
    let out = run(app.data(), &["backup", backup.to_str().unwrap()]);
    if crate::helpers::postgres_server().is_some() {
        // PostgreSQL is backed up with its own tools, and `backup` says so.
        let error = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{error}");
        assert!(error.contains("pg_dump"), "{error}");
        assert!(!backup.exists());
    } else {
        assert!(out.status.success(), "{}", stdout(&out));
    }
    assert!(!app.data().join("index/CURRENT").exists());
    assert_eq!(generations(app.data()), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_a_heal_leaves_the_old_pointer_and_the_next_start_heals_again() {
    let app = app_with(3_000).await;
    let data = app.data().to_owned();
    app.archive.close().await.unwrap();
    // A damaged live generation: start-up must rebuild it.
    let live = live_dir(&data);
    let pointer = std::fs::read_to_string(data.join("index/CURRENT")).unwrap();
    let victim = std::fs::read_dir(&live)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    std::fs::remove_file(victim).unwrap();

    // Killed as soon as the rebuild has written part of the new generation.
    let mut child = crate::helpers::binary_for(&data)
        .args(["search", "harbours"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut caught_mid_build = false;
    while child.try_wait().unwrap().is_none() {
        caught_mid_build = generations(&data)
            .iter()
            .filter(|g| g.as_str() != pointer.trim())
            .any(|g| std::fs::read_dir(data.join("index").join(g)).is_ok_and(|d| d.count() > 3));
        if caught_mid_build {
            break;
        }
        std::thread::yield_now();
    }
    let _ = child.kill();
    child.wait().unwrap();
    let after = std::fs::read_to_string(data.join("index/CURRENT")).unwrap();
    if caught_mid_build {
        assert_eq!(
            after, pointer,
            "CURRENT moved before the rebuild was complete"
        );
    }

    let out = run(&data, &["search", "harbours"]);
    assert!(stdout(&out).contains("3000 result(s)"), "{}", stdout(&out));
    let check = run(&data, &["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
}
