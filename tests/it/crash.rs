//! Killing an import, a server, a healing rebuild or `reindex` at any
//! moment loses nothing: the next start brings the index to exactly the
//! database's articles and revisions.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use newsarchive::store::Store;

use crate::helpers::{run, stdout, write_ndjson};

const ARTICLES: usize = 20_000;

/// Starts `newsarchive import FILE`, waits until at least `at_least` rows of
/// the change log exist beyond `from`, then kills the process with SIGKILL.
async fn kill_import_midway(
    data: &std::path::Path,
    file: &std::path::Path,
    from: i64,
    at_least: i64,
) {
    let store = Store::open(&crate::helpers::location(data).database)
        .await
        .unwrap();
    let mut child = crate::helpers::binary_for(data)
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
    let archive = crate::helpers::open_archive(data).await;
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

    // Killed early, while batches are still being written and indexed: an
    // NDJSON file takes the bulk path (a reader thread, large batches).
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
    let store = Store::open(&crate::helpers::location(data.path()).database)
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

/// A small seeded generator (xorshift64*), so a failing trial can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

fn start(data: &Path, args: &[&str]) -> std::process::Child {
    crate::helpers::binary_for(data)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kills `child` with SIGKILL after `ms` milliseconds, unless it is done by then.
fn kill_after(mut child: std::process::Child, ms: u64) -> bool {
    let deadline = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    child.wait().unwrap();
    killed
}

fn succeed(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// Damages the index so that the next start must rebuild it: no pointer,
/// a lost segment file, or a commit of another schema version.
fn damage(data: &Path, how: u64) -> &'static str {
    let root = data.join("index");
    let Ok(generation) = std::fs::read_to_string(root.join("CURRENT")) else {
        return "no pointer already";
    };
    let dir = root.join(generation.trim());
    match how {
        0 => {
            std::fs::remove_file(root.join("CURRENT")).unwrap();
            "pointer removed"
        }
        1 => {
            let victim = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "idx"));
            match victim {
                Some(victim) => {
                    std::fs::remove_file(victim).unwrap();
                    "segment file lost"
                }
                None => "no segment to lose",
            }
        }
        _ => {
            let meta = dir.join("meta.json");
            let mut json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
            let Some(payload) = json["payload"].as_str() else {
                return "no commit to age";
            };
            let mut payload: serde_json::Value = serde_json::from_str(payload).unwrap();
            payload["schema_version"] = serde_json::json!(1);
            json["payload"] = serde_json::Value::String(payload.to_string());
            std::fs::write(&meta, json.to_string()).unwrap();
            "commit of an older schema"
        }
    }
}

/// Kill -9 at random moments, trial after trial, into one archive: imports
/// of new and updated articles (alone, or beside a server that is killed
/// too), healing rebuilds at start and `reindex`. After each trial the
/// interrupted command is run again to completion; then `check` must be
/// clean and every article found at its latest edition exactly once.
/// `NEWSARCHIVE_CRASH_TRIALS` (default 18), `NEWSARCHIVE_CRASH_SEED` and
/// `NEWSARCHIVE_CRASH_SECONDS` (stop starting trials after this) tune it;
/// `scripts/crash_soak.sh` runs hundreds with the release binary.
#[test]
fn a_campaign_of_kills_at_random_moments_always_ends_clean() {
    let trials = env_number("NEWSARCHIVE_CRASH_TRIALS").unwrap_or(18);
    let seed = env_number("NEWSARCHIVE_CRASH_SEED").unwrap_or(0x5eed_2026);
    let budget = env_number("NEWSARCHIVE_CRASH_SECONDS").map(Duration::from_secs);
    let max_articles = env_number("NEWSARCHIVE_CRASH_ARTICLES").unwrap_or(1_500) as usize;
    let started = Instant::now();
    let mut rng = Rng(seed | 1);
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let data = data.path();
    let mut articles = 0usize;
    let mut edition = 0usize;
    let mut done = 0;
    for trial in 0..trials {
        if budget.is_some_and(|b| started.elapsed() >= b) {
            break;
        }
        // Every trial adds articles (up to the cap) and updates all the others.
        let scenario = if articles == 0 { 0 } else { rng.below(4) };
        let what = match scenario {
            0 | 1 => {
                articles = (articles + 100 + rng.below(400) as usize).min(max_articles);
                edition += 1;
                let file = files.path().join(format!("edition-{edition}.ndjson"));
                write_ndjson(&file, articles, edition);
                let file = file.to_str().unwrap().to_owned();
                let ms = rng.below(1_500);
                if scenario == 1 {
                    let server = start(data, &["serve", "--listen", "127.0.0.1:0", "--no-follow"]);
                    let import = start(data, &["import", &file]);
                    let server_ms = rng.below(1_500);
                    if server_ms < ms {
                        kill_after(server, server_ms);
                        kill_after(import, ms - server_ms);
                    } else {
                        kill_after(import, ms);
                        kill_after(server, server_ms - ms);
                    }
                    succeed(data, &["import", &file]);
                    format!("import beside a server, both killed ({ms} and {server_ms} ms)")
                } else {
                    let killed = kill_after(start(data, &["import", &file]), ms);
                    succeed(data, &["import", &file]);
                    format!("import killed after {ms} ms (killed: {killed})")
                }
            }
            2 => {
                let how = damage(data, rng.below(3));
                let ms = rng.below(1_000);
                let killed = kill_after(start(data, &["search", "harbours"]), ms);
                succeed(data, &["search", "harbours"]);
                format!("healing ({how}) killed after {ms} ms (killed: {killed})")
            }
            _ => {
                let ms = rng.below(1_000);
                let killed = kill_after(start(data, &["reindex"]), ms);
                succeed(data, &["reindex"]);
                format!("reindex killed after {ms} ms (killed: {killed})")
            }
        };
        let check = run(data, &["check"]);
        assert!(
            check.status.success(),
            "seed {seed}, trial {trial}: {what}: {}",
            stdout(&check)
        );
        assert!(
            stdout(&check).contains(&format!("exactly the {articles} articles")),
            "seed {seed}, trial {trial}: {what}: {}",
            stdout(&check)
        );
        let found = succeed(
            data,
            &["search", &format!("\"edition {edition}\""), "--limit", "1"],
        );
        assert!(
            found.contains(&format!("{articles} result(s)")),
            "seed {seed}, trial {trial}: {what}: {found}"
        );
        println!("trial {trial}: {what}: clean ({articles} articles, edition {edition})");
        done += 1;
    }
    println!("crash campaign: {done} trials, 0 failures (seed {seed})");
}
