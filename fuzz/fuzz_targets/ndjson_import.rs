//! Fuzzes the NDJSON import reader and the JSON article format.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::ndjson_import(data));
