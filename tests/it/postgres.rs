//! PostgreSQL and several nodes: what only a shared database has. Every
//! other test of this suite runs on PostgreSQL too (`scripts/test.sh` runs
//! it again with `NEWSARCHIVE_TEST_POSTGRES`); these need a server, so they
//! are marked ignored for the SQLite run and included in the PostgreSQL one
//! (`--include-ignored`).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use newsarchive::archive::{Archive, Location};
use newsarchive::store::{ArticleFilter, Database, NameKind, Store};
use tempfile::TempDir;

use crate::helpers::{TESTS, article, binary, fresh_database, generated, stdout, write_ndjson};

/// A node: an archive with its own index directory on database `url`.
async fn node(url: &url::Url) -> (TempDir, Archive) {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::open_at(&Location {
        data_dir: dir.path().to_owned(),
        database: Database::choose(Some(url.as_str()), dir.path(), 8).unwrap(),
    })
    .await
    .expect("open a node");
    (dir, archive)
}

/// Waits until `archive` has applied every change in the database and
/// checks that its index and the database agree.
async fn converged(archive: &Archive, who: &str) {
    assert!(
        archive
            .wait_indexed(Duration::from_secs(120))
            .await
            .unwrap(),
        "{who} did not catch up"
    );
    let report = archive.check(Duration::from_secs(120)).await.unwrap();
    assert!(report.is_ok(), "{who}: {report:?}");
    assert_eq!(archive.health().await.unwrap().index_lag, 0, "{who}");
}

/// How many articles `query` finds on `archive`.
async fn found(archive: &Archive, query: &str) -> u64 {
    let request = newsarchive::search::Request {
        limit: 10,
        ..Default::default()
    };
    archive.search(query, &request).await.unwrap().total
}

#[test]
fn migrations_have_the_same_versions_on_both_backends() {
    let list = |dir: &str| -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        names.sort();
        names
    };
    let sqlite = list("migrations/sqlite");
    assert!(sqlite.len() >= 5, "{sqlite:?}");
    assert_eq!(sqlite, list("migrations/postgres"));
}

#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn nodes_starting_together_apply_the_migrations_once() {
    let url = fresh_database();
    let database = Database::choose(Some(url.as_str()), Path::new("."), 4).unwrap();
    let (a, b, c) = tokio::join!(
        Store::open(&database),
        Store::open(&database),
        Store::open(&database)
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    let pool = sqlx::PgPool::connect(url.as_str()).await.unwrap();
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count();
    assert_eq!(applied.len(), files, "{applied:?}");
    assert!(applied.iter().all(|(_, ok)| *ok));
    let ids: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM article_ids")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(ids, 1, "the id counter is seeded once");
    for store in [a, b, c] {
        store.close().await;
    }
    pool.close().await;
}

/// Articles whose names and dates make the orders tell: case, accents,
/// digits and punctuation, equal dates, and undated ones.
fn mixed_articles() -> Vec<serde_json::Value> {
    let sources = [
        "reuters",
        "Reuters",
        "Ärzte Zeitung",
        "AP",
        "apnews",
        "Zeit",
        "zdf",
        "_wire",
        "123 News",
        "Öffentlich",
    ];
    let authors = ["Émile Zola", "emile", "Zoë Ball", "zoe", "Ana Ñúñez", "ANA"];
    let tags = [
        "Économie",
        "economy",
        "Élection",
        "élection",
        "Zürich",
        "zurich",
    ];
    (0..40)
        .map(|n| {
            let mut json = generated(n, 1);
            json["source"] = sources[n % sources.len()].into();
            json["authors"] =
                serde_json::json!([authors[n % authors.len()], authors[(n + 2) % authors.len()]]);
            json["tags"] = serde_json::json!([tags[n % tags.len()]]);
            json["section"] = ["World", "world", "Économie", "Sport"][n % 4].into();
            match n % 5 {
                0 => {
                    json.as_object_mut().unwrap().remove("published_at");
                }
                1 => json["published_at"] = "2020-03-01T12:00:00Z".into(),
                _ => {
                    json["published_at"] = format!(
                        "20{:02}-{:02}-{:02}T08:00:00Z",
                        18 + n % 4,
                        n % 12 + 1,
                        n % 27 + 1
                    )
                    .into()
                }
            }
            json
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn lists_names_counts_and_records_agree_between_the_backends() {
    let lite_dir = tempfile::tempdir().unwrap();
    let lite = Archive::open(lite_dir.path()).await.unwrap();
    let (_pg_dir, pg) = node(&fresh_database()).await;
    for archive in [&lite, &pg] {
        for json in mixed_articles() {
            archive.save(&[article(json)], &TESTS).await.unwrap();
        }
        // An edit, a deletion, and a batch through the set-based path.
        archive
            .save(&[article(generated(3, 2))], &TESTS)
            .await
            .unwrap();
        archive.delete(5, None, &TESTS).await.unwrap();
        let batch: Vec<_> = (100..160).map(|n| article(generated(n, 1))).collect();
        archive.save(&batch, &TESTS).await.unwrap();
        converged(archive, "node").await;
    }
    let (a, b) = (lite.store(), pg.store());
    let ids =
        |list: Vec<newsarchive::article::Article>| list.iter().map(|x| x.id).collect::<Vec<_>>();
    let all = ArticleFilter::default();
    assert_eq!(
        ids(a.list(&all, 200, 0).await.unwrap()),
        ids(b.list(&all, 200, 0).await.unwrap())
    );
    assert_eq!(
        ids(a.list(&all, 7, 30).await.unwrap()),
        ids(b.list(&all, 7, 30).await.unwrap())
    );
    assert_eq!(
        ids(a
            .list_after(&all, Some(("2020-03-01T12:00:00Z".into(), 30)), 50)
            .await
            .unwrap()),
        ids(b
            .list_after(&all, Some(("2020-03-01T12:00:00Z".into(), 30)), 50)
            .await
            .unwrap())
    );
    for filter in [
        ArticleFilter {
            source: Some("Reuters".into()),
            ..Default::default()
        },
        ArticleFilter {
            tag: Some("Économie".into()),
            ..Default::default()
        },
        ArticleFilter {
            author: Some("emile".into()),
            ..Default::default()
        },
        ArticleFilter {
            undated: true,
            ..Default::default()
        },
        ArticleFilter {
            section: Some("world".into()),
            source: Some("zdf".into()),
            ..Default::default()
        },
    ] {
        assert_eq!(
            ids(a.list(&filter, 100, 0).await.unwrap()),
            ids(b.list(&filter, 100, 0).await.unwrap()),
            "{filter:?}"
        );
        assert_eq!(
            a.count(&filter).await.unwrap(),
            b.count(&filter).await.unwrap(),
            "{filter:?}"
        );
    }
    for kind in [
        NameKind::Source,
        NameKind::Section,
        NameKind::Tag,
        NameKind::Author,
    ] {
        let names = a.names(kind).await.unwrap();
        assert!(names.len() > 3, "{kind:?}");
        assert_eq!(names, b.names(kind).await.unwrap(), "{kind:?}");
    }
    for prefix in [4, 7, 10] {
        assert_eq!(
            a.date_counts(prefix, None, None).await.unwrap(),
            b.date_counts(prefix, None, None).await.unwrap()
        );
    }
    let changes = |list: Vec<newsarchive::store::ChangeEntry>| {
        list.into_iter()
            .map(|c| {
                (
                    c.seq,
                    c.article_id,
                    c.revision,
                    c.deleted,
                    c.headline,
                    c.slug,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        changes(a.recent_changes(100).await.unwrap()),
        changes(b.recent_changes(100).await.unwrap())
    );
    for id in 1..=160 {
        let (x, y) = (a.article(id).await.unwrap(), b.article(id).await.unwrap());
        match (x, y) {
            (Some(x), Some(y)) => {
                assert_eq!(x.content, y.content, "article {id}");
                assert_eq!(x.captured, y.captured, "article {id}");
                assert_eq!(
                    (x.slug, x.revision, x.word_count, x.content_hash, x.story_id),
                    (y.slug, y.revision, y.word_count, y.content_hash, y.story_id),
                    "article {id}"
                );
            }
            (None, None) => {}
            (x, y) => panic!(
                "article {id}: {:?} against {:?}",
                x.map(|a| a.id),
                y.map(|a| a.id)
            ),
        }
    }
    assert_eq!(
        a.tombstone(5).await.unwrap().map(|t| t.headline),
        b.tombstone(5).await.unwrap().map(|t| t.headline)
    );
    assert_eq!(
        a.article_history(3)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.revision, r.content.clone()))
            .collect::<Vec<_>>(),
        b.article_history(3)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.revision, r.content.clone()))
            .collect::<Vec<_>>()
    );
    lite.close().await.unwrap();
    pg.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn a_writer_held_after_logging_its_change_keeps_every_follower_behind_it() {
    let url = fresh_database();
    let (_a_dir, a) = node(&url).await;
    let (_b_dir, b) = node(&url).await;
    let (_c_dir, c) = node(&url).await;
    a.save(&[article(generated(1, 1))], &TESTS).await.unwrap();
    converged(&c, "c").await;
    let committed = c.store().last_change_seq().await.unwrap();

    // Writer one logs its change, then is held before its commit.
    let mut held = a.store().hold_next_commit();
    let first = tokio::spawn({
        let a = a.clone();
        async move {
            let mut json = generated(2, 1);
            json["paragraphs"][0] = "A first writer's story about lighthouses.".into();
            a.save(&[article(json)], &TESTS).await
        }
    });
    held.reached().await;
    // Writer two, on another node, waits for the first one's lock: it
    // cannot draw a change number that would commit before the first's.
    let second = tokio::spawn({
        let b = b.clone();
        async move {
            let mut json = generated(3, 1);
            json["paragraphs"][0] = "A second writer's story about windmills.".into();
            b.save(&[article(json)], &TESTS).await
        }
    });
    let pool = sqlx::PgPool::connect(url.as_str()).await.unwrap();
    let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(newsarchive::store::WRITE_LOCK)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!free, "the held writer holds the write lock");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !second.is_finished(),
        "the second writer waits for the lock"
    );
    // No follower gets past the held change.
    for (who, node) in [("b", &b), ("c", &c)] {
        node.wait_indexed(Duration::from_secs(30)).await.unwrap();
        assert_eq!(node.published().applied, committed, "{who}");
        assert_eq!(
            found(node, "lighthouses").await + found(node, "windmills").await,
            0,
            "{who}"
        );
    }
    held.release();
    let first = first.await.unwrap().unwrap();
    let second = second.await.unwrap().unwrap();
    assert!(first[0].id < second[0].id);
    let seqs: Vec<(i64, i64)> = sqlx::query_as("SELECT seq, article_id FROM changes ORDER BY seq")
        .fetch_all(&pool)
        .await
        .unwrap();
    let order: Vec<i64> = seqs.iter().map(|(_, id)| *id).collect();
    assert_eq!(
        order,
        [1, first[0].id, second[0].id],
        "change order is commit order"
    );
    for (who, node) in [("a", &a), ("b", &b), ("c", &c)] {
        converged(node, who).await;
        assert_eq!(found(node, "lighthouses").await, 1, "{who}");
        assert_eq!(found(node, "windmills").await, 1, "{who}");
    }
    pool.close().await;
    for node in [a, b, c] {
        node.close().await.unwrap();
    }
}

/// Why every write takes the lock: without it, a change numbered earlier
/// can commit later, and a follower that already read past it never sees it.
#[tokio::test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn without_the_lock_a_follower_reading_seq_above_last_skips_a_change() {
    let url = fresh_database();
    let store = Store::open(&Database::choose(Some(url.as_str()), Path::new("."), 4).unwrap())
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(url.as_str()).await.unwrap();
    let insert = "INSERT INTO changes (article_id, revision, kind, changed_at) \
                  VALUES ($1, 1, 'upsert', '2026-01-01T00:00:00Z') RETURNING seq";
    let mut early = pool.begin().await.unwrap();
    let first: i64 = sqlx::query_scalar(insert)
        .bind(1_i64)
        .fetch_one(&mut *early)
        .await
        .unwrap();
    let mut late = pool.begin().await.unwrap();
    let second: i64 = sqlx::query_scalar(insert)
        .bind(2_i64)
        .fetch_one(&mut *late)
        .await
        .unwrap();
    assert!(first < second);
    late.commit().await.unwrap();
    // The follower reads what is committed and remembers the last number.
    let read = |after: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT seq FROM changes WHERE seq > $1 ORDER BY seq")
                .bind(after)
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    let seen = read(0).await;
    assert_eq!(seen, [second]);
    early.commit().await.unwrap();
    assert_eq!(
        read(second).await,
        Vec::<i64>::new(),
        "change {first} is never read"
    );
    assert_eq!(read(0).await, [first, second], "yet it is in the log");
    store.close().await;
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn three_nodes_and_eight_writers_with_rollbacks_and_deletes_converge() {
    let url = fresh_database();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(node(&url).await);
    }
    let archives: Vec<Archive> = nodes.iter().map(|(_, a)| a.clone()).collect();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let archive = archives[w % 3].clone();
            tokio::spawn(async move {
                let mut rng = w as u64 * 7919 + 17;
                let mut next = || {
                    rng = rng
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    rng >> 33
                };
                let mut mine: Vec<i64> = Vec::new();
                for k in 0..25 {
                    let n = w * 1000 + k;
                    match next() % 6 {
                        // A rollback after the change was logged: its number is a gap.
                        0 => {
                            archive.store().fail_next_commit();
                            let _ = archive.save(&[article(generated(n, 1))], &TESTS).await;
                        }
                        1 if !mine.is_empty() => {
                            let id = mine.remove(next() as usize % mine.len());
                            // Fails only on the hook another writer of this node set.
                            let _ = archive.delete(id, None, &TESTS).await;
                        }
                        2 if !mine.is_empty() => {
                            let id = mine[next() as usize % mine.len()];
                            let mut json = generated(id as usize, 2);
                            json["url"] = format!("https://example.org/w{w}/{id}").into();
                            let _ = archive.replace(id, &article(json), None, &TESTS).await;
                        }
                        _ => {
                            let saved = archive.save(&[article(generated(n, 1))], &TESTS).await;
                            // A write that met the hook another writer of this node set fails.
                            if let Ok(saved) = saved {
                                mine.push(saved[0].id);
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(next() % 20)).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let pool = sqlx::PgPool::connect(url.as_str()).await.unwrap();
    let (count, max): (i64, i64) = sqlx::query_as("SELECT COUNT(*), MAX(seq) FROM changes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(count > 100, "{count} changes");
    assert!(
        max > count,
        "rollbacks leave gaps in the numbers ({count} changes up to {max})"
    );
    for (i, archive) in archives.iter().enumerate() {
        converged(archive, &format!("node {i}")).await;
    }
    let counts: BTreeSet<u64> = {
        let mut set = BTreeSet::new();
        for archive in &archives {
            set.insert(found(archive, "harbours").await);
        }
        set
    };
    assert_eq!(counts.len(), 1, "every node finds the same: {counts:?}");
    pool.close().await;
    for archive in archives {
        archive.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn reindex_on_one_node_while_the_others_write() {
    let url = fresh_database();
    let (_a_dir, a) = node(&url).await;
    let (_b_dir, b) = node(&url).await;
    let (_c_dir, c) = node(&url).await;
    let batch: Vec<_> = (0..300).map(|n| article(generated(n, 1))).collect();
    a.save(&batch, &TESTS).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = [(b.clone(), 1000), (c.clone(), 2000)]
        .into_iter()
        .map(|(node, base)| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut n = base;
                while !stop.load(Ordering::SeqCst) {
                    node.save(&[article(generated(n, 1))], &TESTS)
                        .await
                        .unwrap();
                    n += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                n - base
            })
        })
        .collect();
    let indexed = a.reindex().await.unwrap();
    assert!(indexed >= 300);
    stop.store(true, Ordering::SeqCst);
    let mut written = 0;
    for writer in writers {
        written += writer.await.unwrap();
    }
    assert!(written > 0);
    for (who, node) in [("a", &a), ("b", &b), ("c", &c)] {
        converged(node, who).await;
        assert_eq!(found(node, "harbours").await, 300 + written as u64, "{who}");
    }
    for node in [a, b, c] {
        node.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn a_follower_whose_listen_connection_is_cut_still_converges() {
    let url = fresh_database();
    let (_a_dir, a) = node(&url).await;
    let (_b_dir, b) = node(&url).await;
    let pool = sqlx::PgPool::connect(url.as_str()).await.unwrap();
    let listeners = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND query ILIKE 'LISTEN%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let started = Instant::now();
    while listeners().await < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "both nodes listen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for round in 0..3 {
        // Every listening connection cut, as a failover or a proxy would.
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
        )
        .execute(&pool)
        .await
        .unwrap();
        a.save(&[article(generated(round, 1))], &TESTS)
            .await
            .unwrap();
        let target = a.store().last_change_seq().await.unwrap();
        let started = Instant::now();
        while b.published().applied < target {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "round {round}: b never caught up"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    converged(&b, "b").await;
    assert_eq!(found(&b, "harbours").await, 3);
    pool.close().await;
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn a_due_feed_is_claimed_by_one_node_at_a_time() {
    let url = fresh_database();
    let database = Database::choose(Some(url.as_str()), Path::new("."), 8).unwrap();
    let (a, b) = (
        Store::open(&database).await.unwrap(),
        Store::open(&database).await.unwrap(),
    );
    for n in 0..40 {
        a.follow_feed(&format!("http://127.0.0.1:9/feed/{n}.xml"), 60)
            .await
            .unwrap();
    }
    let now = chrono::Utc::now() + chrono::TimeDelta::seconds(1);
    let lease = now + chrono::TimeDelta::minutes(15);
    let (x, y) = tokio::join!(a.claim_due_feeds(now, lease), b.claim_due_feeds(now, lease));
    let (x, y) = (x.unwrap(), y.unwrap());
    let ids = |feeds: &[newsarchive::store::FeedRecord]| {
        feeds.iter().map(|f| f.id).collect::<BTreeSet<_>>()
    };
    assert!(ids(&x).is_disjoint(&ids(&y)), "a feed claimed twice");
    assert_eq!(ids(&x).len() + ids(&y).len(), 40);
    assert!(
        a.claim_due_feeds(now, lease).await.unwrap().is_empty(),
        "claimed feeds are not due"
    );
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn copy_db_moves_an_archive_to_postgresql_and_back_and_check_agrees() {
    let data = tempfile::tempdir().unwrap().keep();
    let app = crate::helpers::TestApp::open_embedded(&data).await;
    let batch: Vec<_> = (0..120).map(|n| article(generated(n, 1))).collect();
    app.archive.save(&batch, &TESTS).await.unwrap();
    app.archive
        .save(&[article(generated(7, 2))], &TESTS)
        .await
        .unwrap();
    app.archive.delete(9, None, &TESTS).await.unwrap();
    app.archive
        .store()
        .follow_feed("http://127.0.0.1:9/feed.xml", 600)
        .await
        .unwrap();
    let token = crate::helpers::api_token(&app, "desk").await;
    app.indexed().await;
    app.archive.close().await.unwrap();
    let sqlite = crate::helpers::run_embedded(&data, &["export"]);
    assert!(sqlite.status.success());

    let url = fresh_database();
    let copy = crate::helpers::run_embedded(&data, &["copy-db", "--to", url.as_str()]);
    assert!(
        copy.status.success(),
        "{}{}",
        stdout(&copy),
        String::from_utf8_lossy(&copy.stderr)
    );
    assert!(stdout(&copy).contains("articles\t119"), "{}", stdout(&copy));
    // The same data directory's index serves the copy: check agrees at once.
    let on_pg = |args: &[&str]| {
        binary()
            .arg("--data")
            .arg(&data)
            .env("NEWSARCHIVE_DATABASE_URL", url.as_str())
            .args(args)
            .output()
            .unwrap()
    };
    let check = on_pg(&["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
    assert_eq!(
        stdout(&on_pg(&["export"])),
        stdout(&sqlite),
        "the same articles"
    );
    let pg = Archive::open_at(&Location {
        data_dir: data.clone(),
        database: Database::choose(Some(url.as_str()), &data, 4).unwrap(),
    })
    .await
    .unwrap();
    assert_eq!(pg.store().tombstone(9).await.unwrap().unwrap().revision, 1);
    assert_eq!(pg.store().feeds().await.unwrap().len(), 1);
    let prefix = token.split('_').take(2).collect::<Vec<_>>().join("_");
    assert!(
        pg.store()
            .tokens()
            .await
            .unwrap()
            .iter()
            .any(|t| token.starts_with(&t.prefix) || t.prefix == prefix)
    );
    // New writes continue the numbers.
    let saved = pg
        .save(&[article(generated(500, 1))], &TESTS)
        .await
        .unwrap();
    assert_eq!(saved[0].id, 121);
    pg.close().await.unwrap();
    // And back, into a new SQLite file; a copy refuses a database that holds an archive.
    let back = tempfile::tempdir().unwrap();
    let file = back.path().join("back.sqlite3");
    let again = on_pg(&["copy-db", "--to", file.to_str().unwrap()]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let refused = crate::helpers::run_embedded(&data, &["copy-db", "--to", url.as_str()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already holds an archive"));
    let from_pg = stdout(&on_pg(&["export"]));
    let round_trip = Store::open(&Database::File(file.clone())).await.unwrap();
    assert_eq!(round_trip.article_count().await.unwrap(), 120);
    assert_eq!(round_trip.last_change_seq().await.unwrap(), 123);
    round_trip.close().await;
    std::fs::create_dir(back.path().join("data")).unwrap();
    std::fs::rename(&file, back.path().join("data/newsarchive.sqlite3")).unwrap();
    let exported = crate::helpers::run_embedded(&back.path().join("data"), &["export"]);
    assert_eq!(stdout(&exported), from_pg);
    std::fs::remove_dir_all(&data).unwrap();
}

/// A PostgreSQL server of this test's own (the suite's shared one is not
/// restarted under the other tests): initdb, start, restart, stop.
struct OwnServer {
    dir: TempDir,
    port: u16,
}

impl OwnServer {
    fn pg(&self, program: &str) -> std::process::Command {
        let bin =
            std::env::var("NEWSARCHIVE_TEST_POSTGRES_BIN").expect("scripts/postgres.sh sets it");
        let path = format!("{bin}/{program}");
        let mut command = if nix_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--", &path]);
            c
        } else {
            std::process::Command::new(path)
        };
        command
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    fn start() -> OwnServer {
        let dir = tempfile::tempdir().unwrap();
        if nix_root() {
            assert!(
                std::process::Command::new("chown")
                    .arg("postgres")
                    .arg(dir.path())
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = OwnServer { dir, port };
        let data = server.dir.path().join("data");
        assert!(
            server
                .pg("initdb")
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C"
                ])
                .status()
                .unwrap()
                .success()
        );
        server.ctl("start");
        server
    }

    fn ctl(&self, action: &str) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let ok = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-m", "immediate", "-w", action])
            .status()
            .unwrap()
            .success();
        assert!(ok, "pg_ctl {action}");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .status();
    }
}

fn nix_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn a_node_killed_mid_batch_and_postgresql_restarted_mid_run_converge() {
    let server = OwnServer::start();
    let url = url::Url::parse(&server.url()).unwrap();
    let (_dir, follower) = node(&url).await;
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("wire.ndjson");
    write_ndjson(&file, 12_000, 1);
    let importer = tempfile::tempdir().unwrap();
    let import = || {
        binary()
            .arg("--data")
            .arg(importer.path())
            .env("NEWSARCHIVE_DATABASE_URL", url.as_str())
            .arg("import")
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // kill -9 the importing node once it has written some batches.
    let mut child = import();
    let started = Instant::now();
    while follower.store().article_count().await.unwrap_or(0) < 1_000 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before the kill"
        );
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Then PostgreSQL itself restarts (crash-stop) while the import runs again.
    let mut child = import();
    let before = follower.store().article_count().await.unwrap();
    while follower.store().article_count().await.unwrap_or(before) < before + 1_000 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "the second import ended early: {}{}",
                stdout(&out),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.ctl("restart");
    let out = child.wait_with_output().unwrap();
    // The import may have lost its connection mid-batch: that file fails,
    // whole; run again, everything lands once.
    let _ = out;
    let last = import().wait_with_output().unwrap();
    assert!(
        last.status.success(),
        "{}",
        String::from_utf8_lossy(&last.stdout)
    );
    converged(&follower, "the follower").await;
    assert_eq!(follower.store().article_count().await.unwrap(), 12_000);
    assert_eq!(found(&follower, "harbours").await, 12_000);
    let check = binary()
        .arg("--data")
        .arg(importer.path())
        .env("NEWSARCHIVE_DATABASE_URL", url.as_str())
        .arg("check")
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stdout(&check));
    follower.close().await.unwrap();
}

#[test]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
fn the_password_never_shows_in_logs_errors_or_help() {
    let mut url = fresh_database();
    url.set_password(Some("hunter2-secret")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let token = binary()
        .arg("--data")
        .arg(data.path())
        .env("NEWSARCHIVE_DATABASE_URL", url.as_str())
        .env("RUST_LOG", "debug")
        .args(["token", "create", "--name", "ops"])
        .output()
        .unwrap();
    assert!(token.status.success());
    let all = format!(
        "{}{}",
        stdout(&token),
        String::from_utf8_lossy(&token.stderr)
    );
    assert!(!all.contains("hunter2"), "{all}");
    // A database that is not there: the error names it without the password.
    let mut dead = url.clone();
    dead.set_path("/no_such_archive");
    let out = binary()
        .arg("--data")
        .arg(data.path())
        .args([
            "--database-url",
            dead.as_str(),
            "--database-max-connections",
            "1",
            "feeds",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(error.contains("no_such_archive"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
    let help = binary()
        .env("NEWSARCHIVE_DATABASE_URL", url.as_str())
        .arg("--help")
        .output()
        .unwrap();
    assert!(!stdout(&help).contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/test.sh runs it"]
async fn a_node_with_a_pool_of_one_connection_still_works_while_it_listens() {
    let url = fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::open_at(&Location {
        data_dir: dir.path().to_owned(),
        database: Database::choose(Some(url.as_str()), dir.path(), 1).unwrap(),
    })
    .await
    .unwrap();
    let (_other_dir, other) = node(&url).await;
    // Its listener has a connection of its own: writes and reads still get the pool's one.
    archive
        .save(&[article(generated(1, 1))], &TESTS)
        .await
        .unwrap();
    other
        .save(&[article(generated(2, 1))], &TESTS)
        .await
        .unwrap();
    converged(&archive, "the one-connection node").await;
    assert_eq!(found(&archive, "harbours").await, 2);
    archive.close().await.unwrap();
    other.close().await.unwrap();
}
