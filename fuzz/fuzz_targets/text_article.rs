//! Fuzzes the plain-text article parser (headline, paragraphs, front matter).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::text_article(data));
