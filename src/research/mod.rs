//! What researchers take away from a search: every match, page after page
//! from one pinned view of the index (`matches`), written as CSV or NDJSON
//! rows (`rows`), several searches counted over time on one axis
//! (`compare`), and the words that set a search's matches apart (`terms`).

pub mod compare;
pub mod matches;
pub mod rows;
pub mod terms;

pub use matches::{Body, Matches};
pub use rows::{Column, Format, Rows};
