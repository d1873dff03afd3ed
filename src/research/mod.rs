//! What researchers take away from a search: every match, page after page
//! from one pinned view of the index (`matches`), written as CSV or NDJSON
//! rows (`rows`), and several searches counted over time on one axis
//! (`compare`).

pub mod compare;
pub mod matches;
pub mod rows;

pub use matches::Matches;
pub use rows::{Column, Format, Rows};
