//! Integration tests: the real archive (SQLite file + tantivy index in a temp
//! dir), the real router, and the real binary as a child process.

mod api;
mod browse;
mod check;
mod cli;
mod concurrency;
mod crash;
mod faults;
mod feeds;
mod fuzz_corpus;
mod helpers;
mod indexer;
mod languages;
mod openapi;
mod operations;
mod pages;
mod postgres;
mod reindex;
mod research;
mod revisions;
mod search;
mod search_fuzz;
mod security;
mod security_tokens;
mod seed;
mod server;
mod stories;
mod web;
