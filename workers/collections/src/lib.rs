//! What fazhi says about a collection of reports rather than one: the compact summary row of an
//! assessment ([`row`]), a batch's ranking and statistics ([`summary`]), the files evaluators
//! open in a spreadsheet ([`export`]), and what changed from one year's report to the next
//! ([`compare`]). Pure functions over the wire types, except [`copying`], which compares a
//! report with the tenant's index through the [`fazhi_jobs::JobStore`] trait.

pub mod compare;
pub mod copying;
pub mod export;
pub mod row;
pub mod similarity;
pub mod summary;

pub use compare::compare;
pub use export::{ExportError, Titles, csv, xlsx};
pub use row::row;
pub use summary::{Order, summarize};
