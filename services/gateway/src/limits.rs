//! Per-tenant admission control: a submission token bucket and an in-flight job cap.
//!
//! Both are kept in this gateway process. The rate limit is therefore per gateway replica (N
//! replicas admit N× the rate), which is the usual trade for not putting a shared counter on
//! the submit hot path. The in-flight cap counts the jobs *this process* submitted that are not
//! known to be finished; it is refreshed lazily from the store only when a tenant reaches the
//! cap, so the common path costs no extra store round trip. It is a soft cap: concurrent
//! submissions racing at the boundary may overshoot it by a few.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::config::TenantLimits;

/// Prune the in-flight set from the store at most this often per tenant.
const PRUNE_EVERY: Duration = Duration::from_millis(200);

/// Mutable per-tenant admission state, shared by all requests of the tenant.
#[derive(Debug)]
pub struct TenantState {
    pub name: String,
    pub limits: TenantLimits,
    /// Signing secret and default notify_url.
    pub webhook: crate::webhook::TenantWebhook,
    /// The checklist (a province's guide, with its deadlines) this tenant's requests are judged
    /// by when they name none.
    pub checklist: Option<String>,
    bucket: Mutex<Bucket>,
    in_flight: Mutex<InFlight>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
struct InFlight {
    ids: HashSet<String>,
    last_prune: Option<Instant>,
}

/// Recovers the data of a poisoned lock: the state is counters, a panic elsewhere cannot leave
/// it unusable, and the gateway must not start panicking on every request.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TenantState {
    /// The same tenant with its webhook settings.
    pub fn with_webhook(mut self, webhook: crate::webhook::TenantWebhook) -> Self {
        self.webhook = webhook;
        self
    }

    pub fn with_checklist(mut self, checklist: Option<String>) -> Self {
        self.checklist = checklist;
        self
    }

    /// A request's checklist: its own, else this tenant's default (empty: chosen by year).
    pub fn checklist_for(&self, requested: &str) -> String {
        match (requested.trim(), &self.checklist) {
            ("", Some(c)) => c.clone(),
            (r, _) => r.to_string(),
        }
    }

    pub fn new(name: &str, limits: TenantLimits) -> Self {
        Self {
            name: name.to_string(),
            bucket: Mutex::new(Bucket {
                tokens: limits.submit_burst,
                last: Instant::now(),
            }),
            limits,
            webhook: Default::default(),
            checklist: None,
            in_flight: Mutex::new(InFlight {
                ids: HashSet::new(),
                last_prune: None,
            }),
        }
    }

    /// Takes one submission token, or says how long until one is available.
    pub fn try_acquire(&self) -> Result<(), Duration> {
        self.try_acquire_at(Instant::now())
    }

    fn try_acquire_at(&self, now: Instant) -> Result<(), Duration> {
        let rate = self.limits.submit_rate_per_sec;
        if rate <= 0.0 {
            return Ok(());
        }
        let mut b = lock(&self.bucket);
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(self.limits.submit_burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / rate;
            Err(Duration::from_secs_f64(wait.clamp(0.001, 3600.0)))
        }
    }

    /// Jobs of this tenant submitted here and not yet seen finished.
    pub fn in_flight(&self) -> usize {
        lock(&self.in_flight).ids.len()
    }

    /// Whether the tenant may queue another job. At the cap, asks `is_finished` about every
    /// tracked job (bounded concurrency) and forgets the finished ones before deciding.
    pub async fn has_capacity<F, Fut>(&self, is_finished: F) -> bool
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let max = self.limits.max_in_flight;
        if max == 0 {
            return true;
        }
        let snapshot: Vec<String> = {
            let mut g = lock(&self.in_flight);
            if g.ids.len() < max {
                return true;
            }
            let now = Instant::now();
            if g.last_prune
                .is_some_and(|t| now.duration_since(t) < PRUNE_EVERY)
            {
                return false;
            }
            g.last_prune = Some(now);
            g.ids.iter().cloned().collect()
        };
        let done: Vec<String> = futures::stream::iter(snapshot)
            .map(|id| {
                let fut = is_finished(id.clone());
                async move { fut.await.then_some(id) }
            })
            .buffer_unordered(16)
            .filter_map(|x| async move { x })
            .collect()
            .await;
        let mut g = lock(&self.in_flight);
        for id in &done {
            g.ids.remove(id);
        }
        g.ids.len() < max
    }

    /// Remembers a queued job for the in-flight cap (nothing to remember without a cap).
    pub fn track(&self, job_id: &str) {
        if self.limits.max_in_flight == 0 {
            return;
        }
        lock(&self.in_flight).ids.insert(job_id.to_string());
    }

    pub fn untrack(&self, job_id: &str) {
        lock(&self.in_flight).ids.remove(job_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(rate: f64, burst: f64, max: usize) -> TenantState {
        TenantState::new(
            "t",
            TenantLimits {
                max_in_flight: max,
                submit_rate_per_sec: rate,
                submit_burst: burst,
            },
        )
    }

    #[test]
    fn bucket_allows_burst_then_refills() {
        let s = state(10.0, 2.0, 1);
        let t0 = Instant::now();
        assert!(s.try_acquire_at(t0).is_ok());
        assert!(s.try_acquire_at(t0).is_ok());
        let wait = s.try_acquire_at(t0).expect_err("empty");
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(100));
        assert!(s.try_acquire_at(t0 + Duration::from_millis(100)).is_ok());
    }

    #[tokio::test]
    async fn in_flight_cap_prunes_finished_jobs() {
        let s = state(1.0, 1.0, 2);
        s.track("a");
        s.track("b");
        assert!(!s.has_capacity(|_| async { false }).await);
        // Within PRUNE_EVERY the answer is cached as "full".
        assert!(!s.has_capacity(|_| async { true }).await);
        tokio::time::sleep(PRUNE_EVERY).await;
        assert!(s.has_capacity(|id| async move { id == "a" }).await);
        assert_eq!(s.in_flight(), 1);
    }

    /// The defaults are off: any number of submissions at once, no cap, and nothing tracked.
    #[tokio::test]
    async fn default_limits_are_off() {
        let s = TenantState::new("t", TenantLimits::default());
        let now = Instant::now();
        for _ in 0..20_000 {
            assert!(s.try_acquire_at(now).is_ok());
        }
        for i in 0..1000 {
            s.track(&format!("j{i}"));
        }
        assert_eq!(s.in_flight(), 0);
        assert!(s.has_capacity(|_| async { false }).await);
    }
}
