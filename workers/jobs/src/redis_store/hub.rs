//! One pub/sub connection per store, fanning job events out to every watch stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures::StreamExt;
use redis::aio::PubSubSink;
use tokio::sync::broadcast;

use super::codec::decode_event;
use super::{RedisStore, map_err};
use crate::model::JobRecord;
use crate::store::{JobStore, StoreError};

/// One pub/sub connection per store, shared by all watch streams: a gateway with thousands of
/// open WatchJob streams holds one extra Redis connection, not thousands. A background task
/// reads the subscription, fans events out per job, re-subscribes after a reconnect (and then
/// re-reads every watched job, since events may have been missed meanwhile).
pub(super) struct Hub {
    state: Mutex<HubState>,
}

#[derive(Default)]
struct HubState {
    sink: Option<PubSubSink>,
    /// Set while the background task runs.
    running: bool,
    subs: HashMap<String, broadcast::Sender<JobRecord>>,
    connected: Option<tokio::sync::watch::Receiver<bool>>,
}

impl Hub {
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new(HubState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) async fn subscribe(
        self: &Arc<Self>,
        store: &RedisStore,
        id: &str,
        channel: &str,
    ) -> Result<broadcast::Receiver<JobRecord>, StoreError> {
        let mut connected = {
            let mut g = self.lock();
            if !g.running {
                g.running = true;
                let (tx, rx) = tokio::sync::watch::channel(false);
                g.connected = Some(rx);
                // The task's store handle gets its own (unused) hub, so it holds no strong
                // reference to this one: dropping the last store stops the task.
                let mut detached = store.clone();
                detached.hub = Arc::new(Hub::new());
                tokio::spawn(hub_task(Arc::downgrade(self), detached, tx));
            }
            g.connected
                .clone()
                .ok_or_else(|| StoreError::Unavailable("watch hub not running".into()))?
        };
        let wait = store.cfg.connection_timeout + store.cfg.response_timeout;
        tokio::time::timeout(wait, connected.wait_for(|c| *c))
            .await
            .map_err(|_| StoreError::Unavailable("redis pub/sub connect timed out".into()))?
            .map_err(|_| StoreError::Unavailable("watch hub stopped".into()))?;
        let (rx, sink) = {
            let mut g = self.lock();
            let tx = g
                .subs
                .entry(id.to_string())
                .or_insert_with(|| broadcast::channel(32).0);
            (tx.subscribe(), g.sink.clone())
        };
        let mut sink =
            sink.ok_or_else(|| StoreError::Unavailable("redis pub/sub disconnected".into()))?;
        tokio::time::timeout(store.cfg.response_timeout, sink.subscribe(channel))
            .await
            .map_err(|_| StoreError::Unavailable("redis SUBSCRIBE timed out".into()))?
            .map_err(map_err)?;
        Ok(rx)
    }
}

async fn hub_task(hub: Weak<Hub>, store: RedisStore, connected: tokio::sync::watch::Sender<bool>) {
    let prefix = store.events_channel("");
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        let Some(h) = hub.upgrade() else { return };
        drop(h);
        let pubsub = tokio::time::timeout(
            store.cfg.connection_timeout,
            store.client.get_async_pubsub(),
        )
        .await;
        let pubsub = match pubsub {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "redis pub/sub connect failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
            Err(_) => {
                tracing::warn!("redis pub/sub connect timed out");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        let (mut sink, mut msgs) = pubsub.split();
        // Re-subscribe everything watched before the reconnect, then catch up by re-reading.
        let watched: Vec<String> = match hub.upgrade() {
            Some(h) => {
                let mut g = h.lock();
                g.sink = Some(sink.clone());
                g.subs.keys().cloned().collect()
            }
            None => return,
        };
        for id in &watched {
            if let Err(e) = sink.subscribe(store.events_channel(id)).await {
                tracing::warn!(error = %e, "redis re-SUBSCRIBE failed");
            }
        }
        if !first {
            metrics::counter!("fazhi_cache_reconnects_total").increment(1);
            for id in &watched {
                if let Ok(Some(rec)) = store.get_any(id).await {
                    fan_out(&hub, &mut sink, &store, rec).await;
                }
            }
        }
        first = false;
        let _ = connected.send(true);
        let mut sweep = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                m = msgs.next() => {
                    let Some(m) = m else { break };
                    let channel = m.get_channel_name();
                    if !channel.starts_with(&prefix) {
                        continue;
                    }
                    if let Some(rec) = decode_event(m.get_payload_bytes()) {
                        fan_out(&hub, &mut sink, &store, rec).await;
                    }
                }
                _ = sweep.tick() => {
                    let Some(h) = hub.upgrade() else { return };
                    let idle: Vec<String> = {
                        let mut g = h.lock();
                        let idle: Vec<String> = g.subs.iter()
                            .filter(|(_, tx)| tx.receiver_count() == 0)
                            .map(|(id, _)| id.clone())
                            .collect();
                        for id in &idle { g.subs.remove(id); }
                        idle
                    };
                    for id in idle {
                        let _ = sink.unsubscribe(store.events_channel(&id)).await;
                    }
                }
            }
        }
        tracing::warn!("redis pub/sub connection lost; reconnecting");
        let _ = connected.send(false);
        if let Some(h) = hub.upgrade() {
            h.lock().sink = None;
        }
    }
}

async fn fan_out(hub: &Weak<Hub>, sink: &mut PubSubSink, store: &RedisStore, rec: JobRecord) {
    let Some(h) = hub.upgrade() else { return };
    let done = {
        let mut g = h.lock();
        match g.subs.get(&rec.id) {
            Some(tx) => {
                let _ = tx.send(rec.clone());
                if rec.state.is_terminal() || tx.receiver_count() == 0 {
                    g.subs.remove(&rec.id);
                    true
                } else {
                    false
                }
            }
            None => false,
        }
    };
    if done {
        let _ = sink.unsubscribe(store.events_channel(&rec.id)).await;
    }
}
