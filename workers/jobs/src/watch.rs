//! The watch stream both stores serve WatchJob with: the current version, then every newer one
//! until a terminal state.

use futures::StreamExt;
use futures::stream::{self, BoxStream};
use tokio::sync::broadcast;

use crate::model::JobRecord;

/// The watch stream shared by the stores: `current` first, then every broadcast version newer
/// than the last one sent, until a terminal one. On broadcast lag, `reread` fetches the latest.
pub(crate) fn watch_stream<F, Fut>(
    current: JobRecord,
    rx: broadcast::Receiver<JobRecord>,
    reread: F,
) -> BoxStream<'static, JobRecord>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<JobRecord>> + Send,
{
    struct St<F> {
        rx: broadcast::Receiver<JobRecord>,
        last: Option<JobRecord>,
        pending: Option<JobRecord>,
        done: bool,
        reread: F,
    }
    let st = St {
        rx,
        last: None,
        pending: Some(current),
        done: false,
        reread,
    };
    stream::unfold(st, |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            let next = match st.pending.take() {
                Some(r) => r,
                None => match st.rx.recv().await {
                    Ok(r) => r,
                    Err(broadcast::error::RecvError::Lagged(_)) => match (st.reread)().await {
                        Some(r) => r,
                        None => continue,
                    },
                    Err(broadcast::error::RecvError::Closed) => match (st.reread)().await {
                        // The publisher went away (job terminal or expired): one last look.
                        Some(r) if r.state.is_terminal() => {
                            st.done = true;
                            if st.last.as_ref().is_some_and(|l| same_version(l, &r)) {
                                return None;
                            }
                            r
                        }
                        _ => return None,
                    },
                },
            };
            if st.last.as_ref().is_some_and(|l| !is_newer(&next, l)) {
                continue;
            }
            if next.state.is_terminal() {
                st.done = true;
            }
            st.last = Some(next.clone());
            return Some((next, st));
        }
    })
    .boxed()
}

fn same_version(a: &JobRecord, b: &JobRecord) -> bool {
    a.state == b.state
        && a.update_time_ms == b.update_time_ms
        && a.attempts == b.attempts
        && a.progress == b.progress
}

/// Versions only move forward: newer update time, or same time with a different state/attempt
/// count/progress (two writes within one millisecond).
fn is_newer(next: &JobRecord, last: &JobRecord) -> bool {
    next.update_time_ms > last.update_time_ms
        || (next.update_time_ms == last.update_time_ms && !same_version(next, last))
}
