//! Webhooks end to end: a receiver that fails twice gets the terminal Job on the third attempt,
//! signed, with one delivery id, even though the gateway restarts in between (Redis holds the
//! delivery); a host off the allowlist is refused at submission and never contacted, and a name
//! on the allowlist whose DNS answer is a loopback address the list does not name is never
//! contacted either.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use fazhi_gateway::GatewayConfig;
use fazhi_gateway::webhook::{Allowlist, WebhookConfig, sign};
use fazhi_tests::{Harness, Mode, examples_dir, poll_job, submission, wire};

const SECRET: &str = "test-secret-0123456789";

#[derive(Clone, Debug)]
struct Hit {
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
}

/// A receiver on loopback that answers 500 to the first `fail_first` requests, then 200.
async fn receiver(fail_first: usize) -> (SocketAddr, Arc<Mutex<Vec<Hit>>>) {
    let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let h = h.clone();
            async move {
                let mut hits = h.lock().expect("hits");
                let answered = if hits.len() < fail_first { 500 } else { 200 };
                hits.push(Hit {
                    headers,
                    body,
                    answered,
                });
                StatusCode::from_u16(answered).expect("status")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, hits)
}

fn config(allow: &str) -> GatewayConfig {
    GatewayConfig {
        webhooks: WebhookConfig {
            allow: Allowlist::parse(allow).expect("allowlist"),
            secret: Some(SECRET.into()),
            initial_delay: Duration::from_millis(300),
            poll_interval: Duration::from_millis(100),
            attempt_timeout: Duration::from_secs(5),
            ..WebhookConfig::default()
        },
        ..Harness::gateway_config()
    }
}

fn now_s() -> i64 {
    fazhi_jobs::now_ms() / 1000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_signed_delivery_survives_a_gateway_restart() {
    let (recv, hits) = receiver(2).await;
    let cfg = config(&format!("127.0.0.1:{}", recv.port()));
    let mut h = Harness::new(Mode::Real).await;
    h.start_gateway_with(cfg.clone()).await;
    h.start_workers(1);
    let mut client = h.client().await;
    let mut req = submission(
        &examples_dir().join("2024-county-wangchuan.txt"),
        &format!("\n{}", h.prefix),
        "",
    );
    req.notify_url = format!("http://127.0.0.1:{}/hook", recv.port());
    let job = client
        .submit_report(req)
        .await
        .expect("submit")
        .into_inner();
    let wh = job.webhook.as_ref().expect("the job carries its webhook");
    assert_eq!(wh.state(), wire::DeliveryState::DeliveryPending);

    // The first attempt fails; then the gateway goes away.
    let until = tokio::time::Instant::now() + Duration::from_secs(60);
    while hits.lock().expect("hits").is_empty() {
        assert!(tokio::time::Instant::now() < until, "no first attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h.stop_gateway().await;
    let before = hits.lock().expect("hits").len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        hits.lock().expect("hits").len(),
        before,
        "no attempts while no gateway runs"
    );

    // A new gateway over the same Redis picks the delivery up.
    h.start_gateway_with(cfg).await;
    let mut client = h.client().await;
    let done = poll_job(&mut client, &job.id, Duration::from_secs(60), |j| {
        j.webhook
            .as_ref()
            .is_some_and(|w| w.state() == wire::DeliveryState::Delivered)
    })
    .await;
    let w = done.webhook.expect("webhook");
    assert_eq!(w.attempts, 3, "{w:?}");
    assert!(w.last_error.is_empty());

    let hits = hits.lock().expect("hits").clone();
    assert_eq!(
        hits.iter().map(|h| h.answered).collect::<Vec<_>>(),
        vec![500, 500, 200]
    );
    for hit in &hits {
        let header = |k: &str| {
            hit.headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("x-fazhi-delivery"), w.delivery_id);
        assert_eq!(header("content-type"), "application/json");
        assert!(
            sign::verify(
                SECRET.as_bytes(),
                &header("x-fazhi-signature"),
                &hit.body,
                now_s(),
                300
            ),
            "bad signature"
        );
        assert!(!sign::verify(
            b"another-secret-xyz",
            &header("x-fazhi-signature"),
            &hit.body,
            now_s(),
            300
        ));
        let sent: wire::Job = serde_json::from_slice(&hit.body).expect("Job JSON");
        assert_eq!(sent.id, job.id);
        assert_eq!(sent.state(), wire::JobState::Succeeded);
        assert!(
            sent.webhook.is_none(),
            "the body is the job, not the delivery"
        );
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_off_the_allowlist_are_never_contacted() {
    let (allowed, _) = receiver(0).await;
    let (other, other_hits) = receiver(0).await;
    // The IP entry allows one port only; `localhost` is allowed by name, but resolves to
    // loopback, which the list does not name as an address.
    let cfg = config(&format!(
        "127.0.0.1:{},localhost:{}",
        allowed.port(),
        other.port()
    ));
    let mut h = Harness::new(Mode::Embedded).await;
    h.start_gateway_with(cfg).await;
    h.start_workers(1);
    let mut client = h.client().await;
    let report = examples_dir().join("2024-county-wangchuan.txt");

    let mut req = submission(&report, "\nA", "");
    req.notify_url = format!("http://127.0.0.1:{}/hook", other.port());
    let err = client.submit_report(req).await.expect_err("refused");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("allowlist"), "{}", err.message());

    let mut req = submission(&report, "\nB", "");
    req.notify_url = format!("http://localhost:{}/hook", other.port());
    let job = client
        .submit_report(req)
        .await
        .expect("accepted by name")
        .into_inner();
    let done = poll_job(&mut client, &job.id, Duration::from_secs(60), |j| {
        j.webhook
            .as_ref()
            .is_some_and(|w| w.state() == wire::DeliveryState::DeliveryFailed)
    })
    .await;
    let w = done.webhook.expect("webhook");
    assert!(w.last_error.contains("non-public"), "{}", w.last_error);
    assert!(other_hits.lock().expect("hits").is_empty());
    h.shutdown().await;
}
