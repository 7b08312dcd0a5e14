//! What fazhi says about a collection of reports rather than one: the compact summary row of an
//! assessment ([`row`]), a batch's ranking and statistics ([`summary`]), the files evaluators
//! open in a spreadsheet ([`export`]), and what changed from one year's report to the next
//! ([`compare`]). Pure functions over the wire types: the
//! gateway reads the rows from the store and hands them here.

pub mod compare;
pub mod export;
pub mod row;
pub mod summary;

pub use compare::compare;
pub use export::{ExportError, Titles, csv, xlsx};
pub use row::row;
pub use summary::{Order, summarize};
