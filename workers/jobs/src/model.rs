//! The job model shared by the gateway (front) and the scorer (back).

use std::collections::BTreeMap;

/// Lifecycle of a job. Terminal states never change again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "QUEUED" => Self::Queued,
            "RUNNING" => Self::Running,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// A job as stored. `tenant` scopes every lookup: another tenant's job does not exist.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// Unguessable (128 random bits, URL-safe).
    pub id: String,
    pub tenant: String,
    pub state: JobState,
    /// Unix milliseconds.
    pub create_time_ms: i64,
    pub update_time_ms: i64,
    /// Deliveries started by workers.
    pub attempts: u32,
    pub error_code: String,
    pub error_message: String,
    pub content_sha256: String,
    /// Key of the assessment in the result cache (see [`crate::ResultKey`]).
    pub result_key: String,
    /// Checklist requested by the client ("" = by report year) and, once known, the one used.
    pub checklist_id: String,
    pub deduplicated: bool,
    pub request_id: String,
    pub labels: BTreeMap<String, String>,
    /// The webhook of the terminal state; `None` when the job has no notify_url.
    pub webhook: Option<Webhook>,
    /// The batch the job was submitted into ("" = none).
    pub batch_id: String,
    /// How far a long-running step has got (OCR pages); `None` for a plain text job.
    pub progress: Option<Progress>,
}

/// Progress of a RUNNING job through a step that takes long enough to watch: OCR of a scan.
/// `total` 0 means the step has not started (the scan waits for an OCR slot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// `ocr` for a scan being recognised.
    pub stage: String,
    pub done: u32,
    pub total: u32,
}

impl Progress {
    /// `stage done total`, as stored.
    pub fn encode(&self) -> String {
        format!("{} {} {}", self.stage, self.done, self.total)
    }
    pub fn decode(s: &str) -> Option<Self> {
        let mut it = s.split(' ');
        let stage = it.next()?.to_string();
        let done = it.next()?.parse().ok()?;
        let total = it.next()?.parse().ok()?;
        (!stage.is_empty() && it.next().is_none()).then_some(Self { stage, done, total })
    }
}

/// Where a job's webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting for the job to end or for the next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// The retry period ran out (or the URL may no longer be called).
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "PENDING" => Self::Pending,
            "DELIVERED" => Self::Delivered,
            "FAILED" => Self::Failed,
            _ => return None,
        })
    }
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending)
    }
}

/// A job's webhook: its URL and the state of the delivery of its terminal version. Lives in the
/// job record so it survives restarts of every process; due deliveries are also indexed by the
/// store ([`crate::JobStore::claim_webhooks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// Unix ms of the last attempt (0 = none yet).
    pub last_attempt_ms: i64,
    /// Unix ms of the next attempt (0 = the job has not ended yet).
    pub next_attempt_ms: i64,
    pub last_error: String,
}

impl Webhook {
    /// A delivery waiting for its job to end.
    pub fn pending(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            state: DeliveryState::Pending,
            attempts: 0,
            last_attempt_ms: 0,
            next_attempt_ms: 0,
            last_error: String::new(),
        }
    }
}

/// Everything a worker needs to run a job: self-contained, so a job survives the loss of the
/// cache (Redis keeps nothing on disk) as long as the broker holds the message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct JobMessage {
    #[prost(string, tag = "1")]
    pub job_id: String,
    #[prost(string, tag = "2")]
    pub tenant: String,
    #[prost(bytes = "vec", tag = "3")]
    pub content: Vec<u8>,
    #[prost(string, tag = "4")]
    pub media_type: String,
    #[prost(string, tag = "5")]
    pub filename: String,
    #[prost(string, tag = "6")]
    pub charset: String,
    #[prost(string, tag = "7")]
    pub checklist_id: String,
    #[prost(string, tag = "8")]
    pub content_sha256: String,
    #[prost(string, tag = "9")]
    pub result_key: String,
    #[prost(int64, tag = "10")]
    pub create_time_ms: i64,
    /// fazhi.v1.ReportHints, encoded.
    #[prost(bytes = "vec", tag = "11")]
    pub hints: Vec<u8>,
    #[prost(string, tag = "12")]
    pub request_id: String,
    #[prost(btree_map = "string, string", tag = "13")]
    pub labels: BTreeMap<String, String>,
    /// W3C trace context of the submission (`traceparent`, `tracestate`). Published messages
    /// carry it in their headers; it is kept here too so a message re-published from the store
    /// (orphan reconciliation) continues the same trace.
    #[prost(btree_map = "string, string", tag = "14")]
    pub trace_context: BTreeMap<String, String>,
    /// The webhook URL, so a record rebuilt from the message keeps it.
    #[prost(string, tag = "15")]
    pub notify_url: String,
    #[prost(string, tag = "16")]
    pub batch_id: String,
}

/// Wall-clock Unix milliseconds (job timestamps are wall-clock, shared across processes).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
