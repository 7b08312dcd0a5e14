//! One trace per job across processes: the real `fazhi gateway` and `fazhi worker`, exporting
//! over OTLP/gRPC to a collector this test runs, must produce the client's trace with the
//! gateway's rpc span as the parent of the worker's job span — the context crossing RabbitMQ in
//! the message headers. Real RabbitMQ and Redis, per-run prefixes ([`Run`]).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use fazhi_tests::{
    poll_job,
    procs::{Run, eventually},
    submission, text_reports,
    wire::JobState,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

/// What a collector received: (service.name, span).
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<(String, Span)>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        req: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut got = self.0.lock().map_err(|_| Status::internal("poisoned"))?;
        for rs in req.into_inner().resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for ss in rs.scope_spans {
                for span in ss.spans {
                    got.push((service.clone(), span));
                }
            }
        }
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

impl Collector {
    fn spans(&self) -> Vec<(String, Span)> {
        self.0.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            Value::IntValue(i) => Some(i.to_string()),
            _ => None,
        })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_spans_client_gateway_and_worker() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind collector");
    let otlp = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(TcpIncoming::from(listener)),
    );

    let mut run = Run::new();
    let gw = run.gateway(&["--otlp-endpoint", &otlp]).await;
    let wk = run.worker(&["--otlp-endpoint", &otlp]).await;
    let mut client = run.client(gw).await;

    // The client's own trace: the gateway must continue it.
    let trace_id = format!("{:032x}", rand_u128());
    let client_span = "00f067aa0ba902b7";
    let mut req = Request::new(submission(&text_reports()[0], "otel", ""));
    req.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{client_span}-01")
            .parse()
            .expect("ascii"),
    );
    let job = client
        .submit_report(req)
        .await
        .expect("submit")
        .into_inner();
    let done = poll_job(&mut client, &job.id, Duration::from_secs(60), |j| {
        j.state() == JobState::Succeeded
    })
    .await;
    assert_eq!(done.state(), JobState::Succeeded);

    // SIGTERM flushes each process's exporter before it exits.
    for p in [gw, wk] {
        run.signal(p, "TERM");
        let st = run.wait_exit(p, Duration::from_secs(30)).await;
        assert!(st.success(), "exit status {st}");
    }
    eventually("spans of the job exported", Duration::from_secs(10), || {
        let spans = collector.spans();
        async move {
            spans
                .iter()
                .any(|(s, sp)| s == "fazhi-worker" && sp.name == "engine")
                && spans.iter().any(|(s, _)| s == "fazhi-gateway")
        }
    })
    .await;

    let spans: Vec<(String, Span)> = collector
        .spans()
        .into_iter()
        .filter(|(_, s)| hex(&s.trace_id) == trace_id)
        .collect();
    let names: Vec<String> = spans
        .iter()
        .map(|(s, sp)| format!("{s}/{}", sp.name))
        .collect();
    let by_id: HashMap<String, &(String, Span)> =
        spans.iter().map(|e| (hex(&e.1.span_id), e)).collect();

    let rpc = spans
        .iter()
        .find(|(s, sp)| s == "fazhi-gateway" && sp.name == "fazhi.v1.ReportService/SubmitReport")
        .unwrap_or_else(|| panic!("no gateway rpc span in the client's trace: {names:?}"));
    assert_eq!(
        hex(&rpc.1.parent_span_id),
        client_span,
        "rpc span continues the client's"
    );
    assert_eq!(attr(&rpc.1, "job_id").as_deref(), Some(job.id.as_str()));

    let jobs: Vec<&(String, Span)> = spans
        .iter()
        .filter(|(s, sp)| s == "fazhi-worker" && sp.name == "score job")
        .collect();
    assert!(
        !jobs.is_empty(),
        "no worker job span in the client's trace: {names:?}"
    );
    for j in &jobs {
        assert_eq!(
            hex(&j.1.parent_span_id),
            hex(&rpc.1.span_id),
            "the job span's parent is the gateway's rpc span (context crossed the queue)"
        );
        assert_eq!(attr(&j.1, "job_id").as_deref(), Some(job.id.as_str()));
    }
    let engine = spans
        .iter()
        .find(|(s, sp)| s == "fazhi-worker" && sp.name == "engine")
        .unwrap_or_else(|| panic!("no engine span in the client's trace: {names:?}"));
    let parent = by_id
        .get(&hex(&engine.1.parent_span_id))
        .unwrap_or_else(|| panic!("engine span's parent not exported: {names:?}"));
    assert_eq!(parent.1.name, "score job");

    server.abort();
}

fn rand_u128() -> u128 {
    let a = uuid::Uuid::new_v4().as_u128();
    a | 1
}
