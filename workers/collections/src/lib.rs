//! What fazhi says about a collection of reports rather than one: the compact summary row of an
//! assessment ([`row`]), a batch's ranking and statistics ([`summary`]), and the files
//! evaluators open in a spreadsheet ([`export`]). Pure functions over the wire types: the
//! gateway reads the rows from the store and hands them here.

pub mod export;
pub mod row;
pub mod summary;

pub use export::{ExportError, Titles, csv, xlsx};
pub use row::row;
pub use summary::{Order, summarize};
