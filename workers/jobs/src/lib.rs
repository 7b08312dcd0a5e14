//! The contract between fazhi's front (gateway) and back (scorer): the job model, the
//! [`JobQueue`] and [`JobStore`] traits, and their implementations.

pub mod model;
pub mod queue;
pub mod store;

pub use model::{JobMessage, JobRecord, JobState};
pub use queue::{Acker, DeadLetter, Delivery, JobQueue, QueueError};
pub use store::{CreateOutcome, JobStore, Page, StoreError, Transition};
