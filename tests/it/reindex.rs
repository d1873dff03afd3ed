//! `reindex` builds a fresh index beside the live one and swaps it in while
//! the archive keeps answering searches.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::helpers::{TestApp, article, generated, run, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_swaps_in_a_fresh_index_while_searches_keep_working() {
    let app = TestApp::new().await;
    let batch: Vec<_> = (0..500).map(|n| article(generated(n, 1))).collect();
    app.archive
        .save(&batch, &crate::helpers::TESTS)
        .await
        .unwrap();
    app.indexed().await;
    let generations_before = generations(app.data());
    assert_eq!(generations_before.len(), 1);

    // Searches run all through the rebuild; none may fail or come back short.
    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicUsize::new(0));
    let searcher = {
        let (archive, stop, searches) = (app.archive.clone(), stop.clone(), searches.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let page = archive
                    .search(
                        "harbours ferries",
                        &newsarchive::search::Request {
                            limit: 5,
                            ..Default::default()
                        },
                    )
                    .await
                    .expect("search during reindex");
                assert!(page.total >= 500, "a search saw {} results", page.total);
                searches.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        })
    };

    let data = app.data().to_owned();
    let out = tokio::task::spawn_blocking(move || run(&data, &["reindex"]))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("500 articles"), "{}", stdout(&out));

    // A write after the rebuild reaches the new index.
    app.archive
        .save(&[article(generated(9_999, 1))], &crate::helpers::TESTS)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while generations(app.data()) == generations_before || generations(app.data()).len() > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old generation was never retired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.indexed().await;
    stop.store(true, Ordering::Relaxed);
    searcher.await.unwrap();
    assert!(searches.load(Ordering::Relaxed) > 0);

    let page = app
        .archive
        .search(
            "\"story number 9999\"",
            &newsarchive::search::Request {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    app.assert_consistent().await;
}

fn generations(data: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("index"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    names.sort();
    names
}
