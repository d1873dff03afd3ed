//! Fuzzes the search query language: parsing, running and suggestions.
#![no_main]

#[path = "../checks.rs"]
mod checks;

use std::sync::LazyLock;

static INDEX: LazyLock<checks::QueryIndex> = LazyLock::new(checks::QueryIndex::new);

libfuzzer_sys::fuzz_target!(|data: &[u8]| INDEX.query(data));
