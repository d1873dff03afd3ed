//! Many writers at once (in-process tasks and an import in another process)
//! never fail with "database is locked", and the index ends up exact.

use std::time::Duration;

use crate::helpers::{TestApp, article, run, stdout, write_ndjson};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_writers_all_succeed_and_the_index_agrees() {
    let app = TestApp::new().await;
    let files = tempfile::tempdir().unwrap();
    let ndjson = files.path().join("bulk.ndjson");
    write_ndjson(&ndjson, 1_500, 1);

    // A bulk import in another process, competing for the same database.
    let data = app.data().to_owned();
    let import =
        tokio::task::spawn_blocking(move || run(&data, &["import", ndjson.to_str().unwrap()]));

    // Sixteen in-process writers, one article per transaction, some rewriting
    // each other's articles to bump revisions.
    let mut writers = Vec::new();
    for w in 0..16 {
        let archive = app.archive.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..25 {
                let one = article(serde_json::json!({
                    "headline": format!("Writer {w} story {i}"),
                    "url": format!("https://example.org/writer/{w}/{i}"),
                    "paragraphs": [format!("Text from writer {w}, story {i}.")]
                }));
                archive
                    .save(&[one], &crate::helpers::TESTS)
                    .await
                    .expect("a concurrent write succeeds");
                let shared = article(serde_json::json!({
                    "headline": "Shared story edited by everyone",
                    "url": "https://example.org/shared",
                    "paragraphs": [format!("Last edited by writer {w} at {i}.")]
                }));
                archive
                    .save(&[shared], &crate::helpers::TESTS)
                    .await
                    .expect("a concurrent update succeeds");
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let output = import.await.unwrap();
    assert!(
        output.status.success(),
        "import: {}\n{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("locked"));

    let store = app.archive.store();
    assert_eq!(store.article_count().await.unwrap(), 16 * 25 + 1 + 1_500);
    app.assert_consistent().await;
    let page = app
        .archive
        .search("\"shared story edited\"", &Default::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1, "the shared article is indexed once");
    let revisions = store.revisions().await.unwrap();
    let max_revision = revisions.iter().map(|(_, r)| *r).max().unwrap();
    assert!(max_revision > 1, "the shared article was updated");

    // `check` in another process agrees too.
    assert!(
        app.archive
            .wait_indexed(Duration::from_secs(60))
            .await
            .unwrap()
    );
    let check = run(app.data(), &["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
}
