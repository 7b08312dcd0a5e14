//! SIGTERM / SIGINT → one cancellation token; a second signal exits at once.

use tokio_util::sync::CancellationToken;

/// SIGTERM or SIGINT cancels `token`; a second signal exits immediately.
pub(super) fn spawn_signal_handler(token: CancellationToken) {
    tokio::spawn(async move {
        let first = wait_signal().await;
        tracing::info!(signal = first, "shutting down (send again to exit now)");
        token.cancel();
        let second = wait_signal().await;
        tracing::warn!(signal = second, "second signal: exiting now");
        std::process::exit(130);
    });
}

#[cfg(unix)]
pub(super) async fn wait_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the server");
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

#[cfg(not(unix))]
pub(super) async fn wait_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "ctrl-c"
}
