//! The `newsarchive` binary: import results, exit codes, check and search.

use crate::helpers::{SEED, run, stdout, temp_file};

#[test]
fn importing_twice_says_unchanged_and_an_edit_updates_the_revision() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let story = temp_file(
        files.path(),
        "story.txt",
        &std::fs::read_to_string(SEED).unwrap(),
    );

    let first = run(data.path(), &["import", story.to_str().unwrap()]);
    assert!(first.status.success(), "{first:?}");
    assert!(
        stdout(&first).contains("story.txt: imported"),
        "{}",
        stdout(&first)
    );

    let again = run(data.path(), &["import", story.to_str().unwrap()]);
    assert!(again.status.success());
    assert!(
        stdout(&again).contains("story.txt: unchanged"),
        "{}",
        stdout(&again)
    );

    // An edited body, no URL: matched by headline, updated, revision 2.
    let edited = std::fs::read_to_string(SEED)
        .unwrap()
        .replace("this week", "next week");
    std::fs::write(&story, edited).unwrap();
    let update = run(data.path(), &["import", story.to_str().unwrap()]);
    assert!(
        stdout(&update).contains("story.txt: updated"),
        "{}",
        stdout(&update)
    );

    let check = run(data.path(), &["check"]);
    assert!(check.status.success(), "{}", stdout(&check));
    assert!(
        stdout(&check).contains("exactly the 1 articles"),
        "{}",
        stdout(&check)
    );

    let search = run(data.path(), &["search", "next", "week"]);
    assert!(search.status.success());
    assert!(
        stdout(&search).contains("1 result(s)"),
        "{}",
        stdout(&search)
    );
    assert!(
        stdout(&search).contains("**next** **week**"),
        "{}",
        stdout(&search)
    );
}

#[test]
fn a_failed_file_writes_nothing_names_the_line_and_fails_the_exit_code() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let good = |n: usize| format!(r#"{{"headline": "Story {n}", "paragraphs": ["Body {n}."]}}"#);
    let ndjson = format!(
        "{}\n{}\n{{\"headline\": \"Bad\", \"url\": \"ftp://x\"}}\n{}\n",
        good(1),
        good(2),
        good(3)
    );
    temp_file(files.path(), "a.ndjson", &ndjson);
    temp_file(
        files.path(),
        "b.txt",
        "---\nsource: Dawn\ncolour: red\n---\nHeadline\n\nBody.\n",
    );
    temp_file(
        files.path(),
        "c.json",
        "{\"headline\": \"Fine\", \"paragraphs\": [\"ok\"]}",
    );
    temp_file(files.path(), "notes.md", "ignored: not an article format");

    let out = run(data.path(), &["import", files.path().to_str().unwrap()]);
    let text = stdout(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("a.ndjson: failed: line 3: url: `ftp://x` is not an http(s) URL"),
        "{text}"
    );
    assert!(
        text.contains("b.txt: failed: line 3: unknown front-matter key `colour`"),
        "{text}"
    );
    assert!(text.contains("c.json: imported"), "{text}");
    assert!(!text.contains("notes.md"), "{text}");
    assert!(text.contains("3 file(s), 2 failed"), "{text}");

    // Only c.json landed: a.ndjson's good lines were not written.
    let search = run(data.path(), &["search", "story"]);
    assert!(
        stdout(&search).contains("0 result(s)"),
        "{}",
        stdout(&search)
    );
    let check = run(data.path(), &["check"]);
    assert!(
        stdout(&check).contains("exactly the 1 articles"),
        "{}",
        stdout(&check)
    );
}

#[test]
fn quiet_imports_print_only_what_failed_and_the_summary() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let lines: String = (1..=7)
        .map(|n| format!("{{\"headline\": \"Story {n}\", \"paragraphs\": [\"Body {n}.\"]}}\n"))
        .collect();
    temp_file(files.path(), "a.ndjson", &lines);
    temp_file(files.path(), "b.json", "{\"headline\": \"\"}");

    let out = run(
        data.path(),
        &["import", "--quiet", files.path().to_str().unwrap()],
    );
    let text = stdout(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        !text.contains("a.ndjson"),
        "a file that worked is not listed: {text}"
    );
    assert!(text.contains("b.json: failed: "), "{text}");
    assert!(
        text.contains("2 file(s), 1 failed; articles: 7 imported"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "{text}");
}

#[test]
fn missing_paths_and_bad_queries_get_clear_messages() {
    let data = tempfile::tempdir().unwrap();
    let out = run(data.path(), &["import", "/no/such/file.txt"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/file.txt"), "{err}");

    let out = run(data.path(), &["search", &"(".repeat(50)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("limit is 20"));
}

#[test]
fn the_data_flag_works_after_the_subcommand_and_from_the_environment() {
    let data = tempfile::tempdir().unwrap();
    let out = crate::helpers::binary()
        .args(["import", SEED, "--data"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = crate::helpers::binary()
        .env("NEWSARCHIVE_DATA", data.path())
        .args(["search", "Kugelman"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("1 result(s)"), "{}", stdout(&out));
}

#[test]
fn every_command_explains_itself() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["import", "--help"],
        vec!["reindex", "--help"],
        vec!["search", "--help"],
        vec!["check", "--help"],
    ] {
        let out = crate::helpers::binary().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(stdout(&out).contains("--data"), "{args:?}");
    }
}
