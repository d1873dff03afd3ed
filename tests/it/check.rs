//! `check` names every difference between the database and the index, and
//! start-up heals an index that is ahead of its database.

use std::time::Duration;

use crate::helpers::{article, generated, run, stdout, tamper};

async fn archive_with_three(data: &std::path::Path) {
    let archive = crate::helpers::open_archive(data).await;
    let batch: Vec<_> = (0..3).map(|n| article(generated(n, 1))).collect();
    archive.save(&batch, &crate::helpers::TESTS).await.unwrap();
    assert!(archive.wait_indexed(Duration::from_secs(60)).await.unwrap());
    archive.close().await.unwrap();
}

#[tokio::test]
async fn check_names_each_difference_and_fails() {
    let data = tempfile::tempdir().unwrap();
    archive_with_three(data.path()).await;
    let ok = run(data.path(), &["check"]);
    assert!(ok.status.success(), "{}", stdout(&ok));

    tamper(data.path(), "UPDATE articles SET revision = 7 WHERE id = 1").await;
    tamper(data.path(), "DELETE FROM articles WHERE id = 2").await;
    let out = run(data.path(), &["check"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("index: article 1: database has revision 7, index has 1"),
        "{text}"
    );
    assert!(
        text.contains("index: article 2: in the index but not in the database"),
        "{text}"
    );
    assert!(text.contains("2 problem(s) found"), "{text}");
}

#[tokio::test]
async fn an_index_ahead_of_its_database_is_rebuilt_at_start() {
    let data = tempfile::tempdir().unwrap();
    archive_with_three(data.path()).await;
    // The database loses its last transaction (a power cut with synchronous=NORMAL).
    tamper(data.path(), "DELETE FROM articles WHERE id = 3").await;
    tamper(data.path(), "DELETE FROM changes WHERE article_id = 3").await;

    let archive = crate::helpers::open_archive(data.path()).await;
    let report = archive.check(Duration::from_secs(60)).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.articles, 2);
    let page = archive
        .search("\"story number 2\"", &Default::default())
        .await
        .unwrap();
    assert_eq!(page.total, 0, "the lost article is gone from search too");
    archive.close().await.unwrap();
}

#[tokio::test]
async fn a_deleted_article_leaves_the_database_and_the_index() {
    let data = tempfile::tempdir().unwrap();
    archive_with_three(data.path()).await;
    let archive = crate::helpers::open_archive(data.path()).await;
    archive
        .delete(2, Some(1), &crate::helpers::TESTS)
        .await
        .unwrap();
    assert!(
        matches!(
            archive.delete(2, None, &crate::helpers::TESTS).await,
            Err(newsarchive::archive::Error::Store(
                newsarchive::store::Error::Gone(2)
            ))
        ),
        "a second delete finds the tombstone"
    );
    assert!(archive.wait_indexed(Duration::from_secs(60)).await.unwrap());
    assert!(archive.store().article(2).await.unwrap().is_none());
    assert_eq!(
        archive
            .search("\"story number 1\"", &Default::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        archive
            .search("generated", &Default::default())
            .await
            .unwrap()
            .total,
        2
    );
    let report = archive.check(Duration::from_secs(60)).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    archive.close().await.unwrap();
}
