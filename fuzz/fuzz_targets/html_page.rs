//! Fuzzes page extraction and feed-item HTML with hostile markup.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::html_page(data));
