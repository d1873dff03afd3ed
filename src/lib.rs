//! newsarchive: a self-hosted news archive. Articles live in SQLite (the
//! source of truth), a tantivy index derived from it answers searches, and an
//! axum server renders pages and a JSON API.
#![forbid(unsafe_code)]

pub mod archive;
pub mod article;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod boilerplate;
pub mod cli;
pub mod follow;
pub mod import;
pub mod indexer;
pub mod ingest;
pub mod language;
pub mod metrics;
pub mod private;
pub mod research;
pub mod revision;
pub mod search;
pub mod store;
pub mod story;
pub mod telemetry;
pub mod web;
