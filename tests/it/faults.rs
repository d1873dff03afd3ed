//! A full disk, for real: the data directory on a small tmpfs. Writes fail
//! with a clear error, nothing committed is lost, and once space returns the
//! database and index agree and writes work again. Mounting needs root,
//! which the test machines and CI have; without it these tests fail loudly.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use newsarchive::archive::Archive;
use newsarchive::auth;

use crate::helpers::{TestApp, run_embedded, stdout};

/// A tmpfs of a few megabytes, unmounted when dropped.
struct SmallDisk {
    _parent: tempfile::TempDir,
    mount: PathBuf,
}

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let parent = tempfile::tempdir().unwrap();
        let mount = parent.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a {size} tmpfs failed: this test needs root (CI runs as root)"
        );
        SmallDisk {
            _parent: parent,
            mount,
        }
    }

    /// Gives the file system more room, as an operator freeing space would.
    fn grow(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.mount)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

/// A long article body, so a few hundred of them fill megabytes.
fn big_article(n: usize) -> serde_json::Value {
    let paragraph = format!(
        "Paragraph of story {n} about ports, tariffs and the long winter of {}. ",
        1900 + n % 120
    )
    .repeat(12);
    serde_json::json!({
        "headline": format!("Story {n} from the wire"),
        "url": format!("https://example.org/wire/{n}"),
        "source": "Test Wire",
        "paragraphs": [paragraph.clone(), paragraph.clone(), paragraph],
    })
}

fn write_files(dir: &Path, files: usize, per_file: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for f in 0..files {
        let mut text = String::new();
        for n in f * per_file..(f + 1) * per_file {
            text.push_str(&big_article(n).to_string());
            text.push('\n');
        }
        std::fs::write(dir.join(format!("wire-{f:02}.ndjson")), text).unwrap();
    }
}

/// Sum of "N imported" over the per-file lines that succeeded.
fn imported_per_file(out: &str) -> usize {
    out.lines()
        .filter(|l| l.contains(".ndjson: ") && !l.contains("failed"))
        .filter_map(|l| {
            l.split(".ndjson: ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum()
}

#[tokio::test]
async fn an_import_onto_a_full_disk_fails_per_file_loses_nothing_and_resumes_with_space() {
    let disk = SmallDisk::new("6m");
    let data = disk.mount.join("data");
    let files = tempfile::tempdir().unwrap();
    write_files(files.path(), 12, 150);

    let out = run_embedded(&data, &["import", files.path().to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed: Vec<&str> = text.lines().filter(|l| l.contains(": failed: ")).collect();
    assert!(!failed.is_empty(), "nothing failed on a 6 MB disk:\n{text}");
    assert!(
        failed
            .iter()
            .all(|l| l.contains("disk is full") || l.contains("No space left on device")),
        "the errors name the full disk:\n{text}"
    );
    let imported = imported_per_file(&text);
    assert!(imported > 0, "some files fit:\n{text}");

    disk.grow("256m");
    // Every file that succeeded is whole and nothing of the failed ones is
    // there; the index catches up with the database.
    let archive = Archive::open(&data).await.unwrap();
    let report = archive.check(Duration::from_secs(120)).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.articles, imported, "{text}");
    archive.close().await.unwrap();

    let again = run_embedded(&data, &["import", files.path().to_str().unwrap()]);
    assert!(again.status.success(), "{}", stdout(&again));
    let check = run_embedded(&data, &["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
    assert!(
        stdout(&check).contains("the 1800 articles"),
        "{}",
        stdout(&check)
    );
}

#[tokio::test]
async fn an_api_write_onto_a_full_disk_is_a_507_and_works_again_with_space() {
    let disk = SmallDisk::new("4m");
    let data = disk.mount.join("data");
    let archive = Archive::open(&data).await.unwrap();
    let router = newsarchive::web::router(archive.clone(), Default::default());
    let app = TestApp {
        dir: tempfile::tempdir().unwrap(),
        archive: archive.clone(),
        router,
    };
    let token = auth::new_token();
    archive
        .store()
        .create_token(&newsarchive::store::NewTokenRecord {
            name: "faults",
            prefix: &token.prefix,
            secret_hash: &token.hash,
            scopes: &auth::Scopes::admin(),
            expires_at: None,
        })
        .await
        .unwrap();
    let post = |n: usize| {
        let body = serde_json::json!({
            "headline": format!("A long report, part {n}"),
            "body": "Figures from the harbour authority. ".repeat(20_000),
        });
        Request::post("/api/v1/articles")
            .header(header::AUTHORIZATION, format!("Bearer {}", token.secret))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let first = app.request(post(1)).await;
    assert_eq!(first.status, 201, "{}", first.body);
    app.indexed().await;

    // Fill what is left of the disk.
    let filler = disk.mount.join("filler");
    let chunk = vec![7u8; 64 * 1024];
    let mut file = std::fs::File::create(&filler).unwrap();
    while std::io::Write::write_all(&mut file, &chunk).is_ok() {}
    drop(file);

    let full = app.request(post(2)).await;
    assert_eq!(full.status, 507, "{}", full.body);
    assert_eq!(full.content_type(), "application/problem+json");
    assert!(full.body.contains("disk is full"), "{}", full.body);
    assert_eq!(archive.store().article_count().await.unwrap(), 1);

    std::fs::remove_file(&filler).unwrap();
    let after = app.request(post(3)).await;
    assert_eq!(after.status, 201, "{}", after.body);
    app.indexed().await;
    app.assert_consistent().await;
    assert_eq!(archive.store().article_count().await.unwrap(), 2);
    archive.close().await.unwrap();
}
