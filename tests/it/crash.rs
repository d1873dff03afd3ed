//! Killing an import at any moment loses nothing: the next start brings the
//! index to exactly the database's articles and revisions.

use std::process::Stdio;
use std::time::{Duration, Instant};

use newsarchive::archive::Archive;
use newsarchive::store::Store;

use crate::helpers::{binary, run, stdout, write_ndjson};

const ARTICLES: usize = 20_000;

/// Starts `newsarchive import FILE`, waits until at least `at_least` rows of
/// the change log exist beyond `from`, then kills the process with SIGKILL.
async fn kill_import_midway(
    data: &std::path::Path,
    file: &std::path::Path,
    from: i64,
    at_least: i64,
) {
    let store = Store::open(&newsarchive::archive::database_path(data))
        .await
        .unwrap();
    let mut child = binary()
        .arg("--data")
        .arg(data)
        .arg("import")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let seq = store.last_change_seq().await.unwrap();
        if seq - from >= at_least {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the import made no progress"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    store.close().await;
}

async fn assert_exact_after_restart(data: &std::path::Path) -> i64 {
    let archive = Archive::open(data).await.unwrap();
    let report = archive.check(Duration::from_secs(120)).await.unwrap();
    assert!(report.is_ok(), "after restart: {report:?}");
    let count = archive.store().article_count().await.unwrap();
    archive.close().await.unwrap();
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_an_import_midway_loses_nothing_and_duplicates_nothing() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let first = files.path().join("first.ndjson");
    let second = files.path().join("second.ndjson");
    write_ndjson(&first, ARTICLES, 1);
    write_ndjson(&second, ARTICLES, 2); // same URLs, new text: every article gets revision 2

    // Killed early, while batches are still being written and indexed.
    kill_import_midway(data.path(), &first, 0, 2_500).await;
    let count = assert_exact_after_restart(data.path()).await;
    assert!(
        count > 0 && (count as usize) < ARTICLES,
        "killed midway: {count}"
    );

    // Importing again completes the file without duplicating what landed.
    let out = run(data.path(), &["import", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&format!("{} imported", ARTICLES as i64 - count)),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        assert_exact_after_restart(data.path()).await,
        ARTICLES as i64
    );

    // Killed in the middle of updates: revisions in the index must match, never stale.
    let store = Store::open(&newsarchive::archive::database_path(data.path()))
        .await
        .unwrap();
    let before = store.last_change_seq().await.unwrap();
    store.close().await;
    kill_import_midway(data.path(), &second, before, 4_000).await;
    assert_eq!(
        assert_exact_after_restart(data.path()).await,
        ARTICLES as i64
    );

    // And `check` from the command line agrees.
    let check = run(data.path(), &["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
}
