//! Replays the fuzzers' regression corpus (`fuzz/regressions/`: seeds and
//! every input a fuzzer once failed on) through the same checks the fuzz
//! targets make, so a fixed bug stays fixed without running a fuzzer.

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

/// Runs `check` on every input of `target`, naming the input that fails.
fn replay(target: &str, check: impl Fn(&[u8])) {
    for (path, bytes) in corpus(target) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
    }
}

#[test]
fn the_text_article_corpus_passes() {
    replay("text", checks::text_article);
}

#[test]
fn the_ndjson_import_corpus_passes() {
    replay("ndjson", checks::ndjson_import);
}

#[test]
fn the_query_corpus_passes() {
    let index = checks::QueryIndex::new();
    replay("query", |data| index.query(data));
}

#[test]
fn the_html_page_corpus_passes() {
    replay("html", checks::html_page);
}

/// Hostile HTML made up anew on each run, a bounded number of cases: tags
/// of every kind nested and repeated thousands of times, attribute lists,
/// comments, scripts and bytes that are not UTF-8, through the same check
/// as the `html_page` fuzz target.
#[test]
fn generated_hostile_html_never_breaks_extraction() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let piece = prop_oneof![
        prop::sample::select(vec![
            "<div>", "</div>", "<p>", "</p>", "<blockquote>", "<table><tr><td>", "<b><i>",
            "<svg><g>", "<math>", "<li>", "<ul>", "<script>", "</script>", "<!--", "-->",
            "<title>", "<article>", "<h1>Headline</h1>", "<template>", "<select><option>",
            "<p>The harbour vote was delayed again on Tuesday.</p>", "&amp;", "&#x0;",
            "<a href='javascript:x'>", "<meta property='og:title' content='T'>",
            "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"H\"}</script>",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        (1usize..3_000).prop_map(|n| {
            let attrs: String = (0..n).map(|i| format!(" a{i}=v")).collect();
            format!("<span{attrs}>").into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..64),
    ];
    let document = prop::collection::vec((piece, 1usize..1_000), 1..10).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(bytes, times)| bytes.repeat(times))
            .collect::<Vec<u8>>()
    });
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&document, |data| {
            checks::html_page(&data);
            Ok(())
        })
        .unwrap();
}
