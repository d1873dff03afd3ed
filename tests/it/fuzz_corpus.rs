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
